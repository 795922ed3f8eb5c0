/**
 * The esbuild plugins of the Lambda bundle, in one place: each removes code or work that Lambda never needs, and
 * each has a test in `test/deployment/bundle-plugins.test.ts` or `bundle.test.ts`, where the built bundle also
 * answers real events in a fresh process.
 * Only the Lambda bundle uses them: the CLIs, the local stack's own code and the tests import the SDK unchanged.
 */
import { readFile } from "node:fs/promises";
import { builtinModules, createRequire } from "node:module";
import { join } from "node:path";
import type { Plugin } from "esbuild";
import { repoRoot } from "../lib/repo.js";

/**
 * The module the Lambda bundle uses instead of the SDK's default credential chain (see `env-credentials.ts`).
 * `test/deployment/bundle.test.ts` proves no other provider is left in the bundle.
 */
const ENV_CREDENTIALS_MODULE = join(repoRoot, "util/build/env-credentials.ts");

/**
 * Resolves `@aws-sdk/credential-provider-node` (imported by every SDK client's Node `runtimeConfig`) to the
 * environment-only provider, for the Lambda bundle only: the CLIs and tests still get the full chain.
 * A plugin rather than esbuild's `alias`, so that the match is exact and the replacement an absolute path.
 */
const envCredentialsOnly: Plugin = {
  name: "env-credentials-only",
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^@aws-sdk\/credential-provider-node$/ }, () => ({
      path: ENV_CREDENTIALS_MODULE,
    }));
  },
};

/**
 * The builtins read through `process.getBuiltinModule` instead of an ES import (see {@link builtinsWithoutFacade}),
 * each chosen by measurement, with the getters the bundle may import. The other getters are not exported at all:
 * a dynamic `import("node:http")` (the SDK has two) keeps every export of the module, and a getter export would
 * then run when the chunk loads. Importing one fails the build ("No matching export"), so that adding it here is a
 * decision.
 */
export const BUILTINS_WITHOUT_FACADE: Readonly<Record<string, readonly string[]>> = {
  // WebSocket, CloseEvent and MessageEvent load undici; globalAgent and maxHeaderSize are not used.
  http: [],
  // Not node:crypto: its facade runs the webcrypto getters too, but the SDK reads the global `crypto` (Web Crypto)
  // when it loads anyway, so leaving the facade out measured no difference.
};

const FACADE_NAMESPACE = "builtin-without-facade";

/**
 * The names a builtin's replacement module exports: every own enumerable property that is a valid identifier and
 * a plain value, and the getters {@link BUILTINS_WITHOUT_FACADE} allows.
 * @param name - the builtin's name, without `node:`
 */
export function builtinExportNames(name: string): string[] {
  const builtin = createRequire(import.meta.url)(`node:${name}`) as object;
  const getters = BUILTINS_WITHOUT_FACADE[name] ?? [];
  return Object.entries(Object.getOwnPropertyDescriptors(builtin))
    .filter(
      ([key, descriptor]) => descriptor.enumerable && key !== "default" && /^[A-Za-z_$][\w$]*$/.test(key),
    )
    .filter(([key, descriptor]) => "value" in descriptor || getters.includes(key))
    .map(([key]) => key)
    .sort();
}

/**
 * The replacement module of a builtin: one export per name, each a pure call that reads the property, so that
 * esbuild drops every export the bundle does not import and a getter runs only if the bundle imports its name.
 * @param name - the builtin's name, without `node:`
 */
export function builtinWithoutFacadeSource(name: string): string {
  return [
    `const builtin = process.getBuiltinModule("node:${name}");`,
    "const read = (key) => builtin[key];",
    "export default builtin;",
    ...builtinExportNames(name).map(
      (key) => `export const ${key} = /* @__PURE__ */ read(${JSON.stringify(key)});`,
    ),
  ].join("\n");
}

/**
 * Works around a Node.js bug (nodejs/node#57649, see `docs/upstream/node-esm-builtin-facade.md`): an ES `import`
 * of a builtin builds its ESM facade, which reads every export, getters included. For `node:http` the lazy
 * `WebSocket`, `CloseEvent` and `MessageEvent` getters load undici (Node's fetch and WebSocket), about 40 ms of
 * every cold start measured on this machine, for code the handler never runs (the SDK needs `Agent` and
 * `request`). `process.getBuiltinModule` returns the module object without a facade, and the bundle reads from it
 * only the names it imports.
 *
 * `test/deployment/bundle-plugins.test.ts` fails once a Node release fixes the bug, so that this can go.
 */
const builtinsWithoutFacade: Plugin = {
  name: "builtins-without-facade",
  setup(pluginBuild) {
    const names = new Set(Object.keys(BUILTINS_WITHOUT_FACADE));
    pluginBuild.onResolve({ filter: /^(node:)?[a-z_]+$/ }, (args) => {
      const name = args.path.replace(/^node:/, "");
      if (!names.has(name) || !builtinModules.includes(name)) return undefined;
      return { path: name, namespace: FACADE_NAMESPACE };
    });
    pluginBuild.onLoad({ filter: /.*/, namespace: FACADE_NAMESPACE }, (args) => ({
      loader: "js",
      contents: builtinWithoutFacadeSource(args.path),
    }));
  },
};

/** The generated schema files of the AWS SDK clients (one per client, `schemas_0.js`). */
const SDK_SCHEMA_FILE = /[\\/]@aws-sdk[\\/]client-[^\\/]+[\\/]dist-es[\\/]schemas[\\/]schemas_\d+\.js$/;

/**
 * Replaces a computed key `[_x]:` by the string literal the file's `const _x = "..."` declares, for every such
 * constant; other computed keys are left alone.
 * @param source - the text of an SDK client's `schemas_0.js`
 * @returns the rewritten text and how many keys were inlined
 */
export function inlineSchemaTraitKeys(source: string): { contents: string; inlined: number } {
  const constants = new Map<string, string>();
  for (const match of source.matchAll(/^const (_[\w$]+) = ("(?:[^"\\\n]|\\.)*");$/gm)) {
    constants.set(match[1] as string, match[2] as string);
  }
  let inlined = 0;
  const contents = source.replace(/\[(_[\w$]+)\]:/g, (whole, name: string) => {
    const literal = constants.get(name);
    if (literal === undefined) return whole;
    inlined++;
    return `${literal}:`;
  });
  return { contents, inlined };
}

/**
 * Makes the SDK's generated schemas tree-shakeable. Each client's `schemas_0.js` declares one array per shape of
 * the whole service (S3: about 400, 66 KiB minified), with traits written as computed keys (`{ [_hH]: _xaa }`, the
 * key a string constant of the same file). esbuild keeps every object literal with a computed key whose value it
 * cannot see, since a key's `toString` may have side effects, so it kept the schemas of every S3 operation although
 * the handler sends four. With the constants inlined as string keys, the unused arrays are side-effect free and
 * dropped, and the bundle keeps the schemas of the commands it imports (and of the errors the client registers).
 */
const treeShakeableSdkSchemas: Plugin = {
  name: "tree-shakeable-sdk-schemas",
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: SDK_SCHEMA_FILE }, async (args) => ({
      loader: "js",
      contents: inlineSchemaTraitKeys(await readFile(args.path, "utf8")).contents,
    }));
  },
};

/** Every plugin of the Lambda bundle, in the order esbuild applies them. */
export const LAMBDA_BUNDLE_PLUGINS: readonly Plugin[] = [
  envCredentialsOnly,
  builtinsWithoutFacade,
  treeShakeableSdkSchemas,
];
