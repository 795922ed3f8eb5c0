import { describe, expect, it } from "vitest";
import { packageOfUrl, selfTimes, workTimes } from "../../util/bench/cpu-profile.js";

describe("selfTimes", () => {
  it("adds each sample's time to its function and package, largest first", () => {
    // Prepare
    const frame = (functionName: string, url: string, lineNumber = 0) => ({ functionName, url, lineNumber });
    const profile = {
      nodes: [
        { id: 1, callFrame: frame("(idle)", "") },
        { id: 2, callFrame: frame("signer", "file:///app/node_modules/@smithy/core/dist-cjs/index.js", 272) },
        { id: 3, callFrame: frame("", "file:///app/src/fanout.ts", 9) },
      ],
      samples: [2, 2, 3, 1, 9],
      timeDeltas: [1000, 3000, 2000, 4000, 500],
    };
    // Act
    const times = selfTimes(profile);
    // Assess
    expect(times.totalMs).toBe(10);
    expect(times.packages).toEqual([
      { name: "@smithy/core", ms: 4, share: 0.4 },
      { name: "(vm: idle, gc, native)", ms: 4, share: 0.4 },
      { name: "src (ours)", ms: 2, share: 0.2 },
    ]);
    expect(times.functions[0]).toEqual({ name: "signer (dist-cjs/index.js:273)", ms: 4, share: 0.4 });
    expect(times.functions.map((f) => f.name)).toContain("(anonymous) (src/fanout.ts:10)");
  });
});

describe("packageOfUrl", () => {
  it("names node internals, packages (scoped or not) and our sources", () => {
    // Prepare
    const urls = ["node:internal/http", "file:///a/node_modules/ws/lib/x.js", "file:///a/util/bench/x.ts"];
    // Act
    const names = urls.map(packageOfUrl);
    // Assess
    expect(names).toEqual(["node internals", "ws", "file:///a/util/bench/x.ts"]);
  });
});

describe("workTimes", () => {
  it("names each busy sample by its innermost frame a kind matches, a native frame by its caller's", () => {
    // Prepare: root > engine > http.request > writev (native); root > SDK middleware; GC; idle
    const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0 });
    const profile = {
      nodes: [
        { id: 1, callFrame: frame("(root)", ""), children: [2, 5, 6, 7] },
        { id: 2, callFrame: frame("deliver", "file:///app/src/delivery/engine.ts"), children: [3] },
        { id: 3, callFrame: frame("request", "node:_http_client"), children: [4] },
        { id: 4, callFrame: frame("writev", "") },
        { id: 5, callFrame: frame("m", "file:///app/node_modules/@smithy/core/dist-es/x.js") },
        { id: 6, callFrame: frame("(garbage collector)", "") },
        { id: 7, callFrame: frame("(idle)", "") },
      ],
      samples: [4, 4, 2, 5, 6, 7, 7],
      timeDeltas: [1000, 1000, 1000, 1000, 1000, 5000, 5000],
    };
    // Act
    const work = workTimes(profile);
    // Assess
    expect(work.idleMs).toBe(10);
    expect(work.busyMs).toBe(5);
    expect(work.kinds).toEqual([
      { name: "HTTP (node:http, net, streams)", ms: 2, share: 0.4 },
      { name: "the fan-out engine (src/delivery)", ms: 1, share: 0.2 },
      { name: "AWS SDK command path (@smithy, @aws-sdk)", ms: 1, share: 0.2 },
      { name: "garbage collection (allocation)", ms: 1, share: 0.2 },
    ]);
  });

  it("reads a bundled frame's package through the source map it is given", () => {
    // Prepare: one minified frame that the map says is the S3 client's XML parser
    const profile = {
      nodes: [{ id: 1, callFrame: { functionName: "a", url: "file:///b/chunk.mjs", lineNumber: 0 } }],
      samples: [1],
      timeDeltas: [2000],
    };
    const sourceOf = () => "../../node_modules/@aws-sdk/xml-builder/dist-es/xml-parser.js";
    // Act
    const work = workTimes(profile, sourceOf);
    const self = selfTimes(profile, sourceOf);
    // Assess
    expect(work.kinds.map((k) => k.name)).toEqual(["listing and deleting keys (S3 client, XML)"]);
    expect(self.packages.map((p) => p.name)).toEqual(["@aws-sdk/xml-builder"]);
  });
});
