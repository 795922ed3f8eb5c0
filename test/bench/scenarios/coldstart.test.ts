import { describe, expect, it } from "vitest";
import {
  dependencyCosts,
  describeFirstInvocations,
  packageOf,
} from "../../../util/bench/scenarios/coldstart.js";

describe("packageOf", () => {
  it("names the package of an esbuild input path, scoped, nested, or our own source", () => {
    // Prepare
    const paths = [
      "node_modules/@aws-sdk/client-s3/dist-es/index.js",
      "node_modules/@smithy/util/node_modules/tslib/tslib.es6.mjs",
      "node_modules/ws/lib/sender.js",
      "src/fanout.ts",
      "<runtime>",
    ];
    // Act
    const names = paths.map(packageOf);
    // Assess
    expect(names).toEqual(["@aws-sdk/client-s3", "tslib", "ws", "src (ours)", "<runtime>"]);
  });
});

describe("dependencyCosts", () => {
  it("sums bytes in output per package over the JavaScript outputs, largest first, with shares", () => {
    // Prepare
    const metafile = {
      outputs: {
        "dist/lambda/index.mjs": {
          inputs: {
            "node_modules/@aws-sdk/client-s3/a.js": { bytesInOutput: 600 },
            "node_modules/@aws-sdk/client-s3/b.js": { bytesInOutput: 200 },
            "src/handler.ts": { bytesInOutput: 200 },
          },
        },
        "dist/lambda/index.mjs.map": { inputs: { "src/handler.ts": { bytesInOutput: 9_999 } } },
      },
    };
    // Act
    const costs = dependencyCosts(metafile);
    // Assess
    expect(costs).toEqual([
      { name: "@aws-sdk/client-s3", bytes: 800, share: 0.8 },
      { name: "src (ours)", bytes: 200, share: 0.2 },
    ]);
  });
});

describe("describeFirstInvocations", () => {
  it("names each route with its time and its ratio to a bare node, and the entry's size", () => {
    // Prepare
    const coldStart = {
      entryBytes: 512,
      files: 14,
      firstInvocation: [
        { route: "$connect authorizer", nodeWithInvocationMs: 140.4, relativeToBareNode: 1.404 },
        { route: "shard (SQS)", nodeWithInvocationMs: 230, relativeToBareNode: 2.3 },
      ],
    };
    // Act
    const line = describeFirstInvocations(coldStart);
    // Assess
    expect(line).toContain("$connect authorizer 140 ms (1.40x), shard (SQS) 230 ms (2.30x)");
    expect(line).toContain("the entry is 0.5 KiB of 14 files");
  });
});
