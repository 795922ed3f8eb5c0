import { describe, expect, it } from "vitest";
import { packageOfUrl, selfTimes } from "../../util/bench/cpu-profile.js";

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
