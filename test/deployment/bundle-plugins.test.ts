import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import {
  BUILTINS_WITHOUT_FACADE,
  builtinExportNames,
  builtinWithoutFacadeSource,
  inlineSchemaTraitKeys,
} from "../../util/build/bundle-plugins.js";
import { reachableOutputs } from "../../util/build/lambda-bundle.js";

const run = promisify(execFile);

/** The builtins a fresh ES module loads after running `code`, by `process.moduleLoadList`. */
async function builtinsLoadedBy(code: string): Promise<string[]> {
  const { stdout } = await run(process.execPath, [
    "--input-type=module",
    "--eval",
    `${code}\nprocess.stdout.write(JSON.stringify(process.moduleLoadList));`,
  ]);
  return JSON.parse(stdout) as string[];
}

describe("builtinsWithoutFacade (the node:http work-around)", () => {
  it("still works around the Node.js bug: an ES import of node:http loads undici (fails once Node fixes it)", async () => {
    // Prepare
    const esImport = 'import { Agent } from "node:http"; void Agent;';
    const withoutFacade = 'const { Agent } = process.getBuiltinModule("node:http"); void Agent;';
    // Act
    const [imported, read] = await Promise.all([builtinsLoadedBy(esImport), builtinsLoadedBy(withoutFacade)]);
    // Assess: when this fails, Node no longer loads undici for the import; remove node:http from
    // BUILTINS_WITHOUT_FACADE and docs/upstream/node-esm-builtin-facade.md.
    expect(imported.some((name) => name.includes("undici"))).toBe(true);
    expect(read.some((name) => name.includes("undici"))).toBe(false);
  });

  it("exports node:http's values but none of its getters (WebSocket, CloseEvent, MessageEvent load undici)", () => {
    // Prepare
    const name = "http";
    // Act
    const names = builtinExportNames(name);
    // Assess
    expect(BUILTINS_WITHOUT_FACADE[name]).toEqual([]);
    expect(names).toEqual(expect.arrayContaining(["Agent", "request", "STATUS_CODES", "createServer"]));
    expect(
      names.filter((n) => ["WebSocket", "CloseEvent", "MessageEvent", "globalAgent"].includes(n)),
    ).toEqual([]);
  });

  it("writes a module whose exports read the builtin, loading no undici", async () => {
    // Prepare
    const source = builtinWithoutFacadeSource("http");
    const url = `data:text/javascript,${encodeURIComponent(source)}`;
    // Act
    const loaded = await builtinsLoadedBy(
      `const http = await import(${JSON.stringify(url)}); if (http.Agent !== process.getBuiltinModule("node:http").Agent || typeof http.request !== "function") throw new Error("wrong exports");`,
    );
    // Assess
    expect(source).toContain('export const Agent = /* @__PURE__ */ read("Agent");');
    expect(loaded.some((name) => name.includes("undici"))).toBe(false);
  });
});

describe("inlineSchemaTraitKeys (tree-shakeable SDK schemas)", () => {
  it("replaces computed keys of the file's string constants by the literal, and leaves other keys alone", () => {
    // Prepare: the shape of a client's schemas_0.js.
    const source = [
      'const _hH = "httpHeader";',
      'const _xN = "xmlName";',
      'const _CT = "Content-Type";',
      'const n0 = "com.amazonaws.s3";',
      "export var PutObjectRequest$ = [3, n0, _POR, 0, [_CT], [[0, { [_hH]: _CT }], [0, { [_xN]: _CT, [other]: 1 }]]];",
    ].join("\n");
    // Act
    const { contents, inlined } = inlineSchemaTraitKeys(source);
    // Assess
    expect(inlined).toBe(2);
    expect(contents).toContain('[[0, { "httpHeader": _CT }], [0, { "xmlName": _CT, [other]: 1 }]]');
    expect(contents.split("\n").slice(0, 4)).toEqual(source.split("\n").slice(0, 4));
  });

  it("finds the computed keys in the SDK's own schema file (fails if a generator change makes the plugin moot)", async () => {
    // Prepare
    const clientS3 = createRequire(import.meta.url).resolve("@aws-sdk/client-s3/package.json");
    const path = clientS3.replace(/package\.json$/, "dist-es/schemas/schemas_0.js");
    // Act
    const { contents, inlined } = inlineSchemaTraitKeys(await readFile(path, "utf8"));
    // Assess
    expect(inlined).toBeGreaterThan(100);
    expect(contents).not.toMatch(/\[_[\w$]+\]:/);
  });
});

describe("reachableOutputs", () => {
  it("follows static and dynamic imports from the entry, and leaves out a chunk nothing imports", () => {
    // Prepare
    const metafile = {
      outputs: {
        "dist/lambda/index.mjs": {
          imports: [{ path: "dist/lambda/chunk-A.mjs" }, { path: "dist/lambda/chunk-B.mjs" }],
        },
        "dist/lambda/chunk-A.mjs": {
          imports: [{ path: "node:fs", external: true }],
        },
        "dist/lambda/chunk-B.mjs": {
          imports: [{ path: "dist/lambda/chunk-A.mjs" }],
        },
        "dist/lambda/chunk-ORPHAN.mjs": { imports: [] },
      },
    };
    // Act
    const reachable = reachableOutputs(metafile, "dist/lambda/index.mjs");
    // Assess
    expect([...reachable].sort()).toEqual(["chunk-A.mjs", "chunk-B.mjs", "index.mjs"]);
  });
});
