/**
 * Where things are and what they run on: the bundle's handler and runtime, and the paths (relative to the repository
 * root) that the build, the synth, the local stack and the CLIs share.
 */

/** The Lambda handler string of the bundle: the `handler` export of `index.mjs`. */
export const LAMBDA_HANDLER = "index.handler";

/** The Lambda runtime the bundle targets; esbuild's `target` follows it. */
export const LAMBDA_RUNTIME = "nodejs24.x";

/** esbuild's `target` for {@link LAMBDA_RUNTIME}: the syntax that runtime's Node runs as is. */
export const LAMBDA_NODE_TARGET = "node24";

/** The stack's name: its folder under `<synth output>/stacks/`. */
export const STACK_NAME = "fanout";

/** Where `npm run synth` writes, relative to the repository root. */
export const SYNTH_OUT_PATH = "cdktf.out";

/** The synthesized stack folder, relative to the repository root: run `terraform` here. */
export const STACK_PATH = /* @__PURE__ */ path(SYNTH_OUT_PATH, "stacks", STACK_NAME);

/** Where the Lambda bundle and its zip are built, relative to the repository root. */
const BUNDLE_OUT_PATH = "dist";

/** The deployment package `npm run build` writes and `npm run synth` deploys, relative to the repository root. */
export const LAMBDA_ZIP_PATH = /* @__PURE__ */ path(BUNDLE_OUT_PATH, "lambda.zip");

/** Where the local stack writes its outputs, relative to the repository root. */
export const LOCAL_OUTPUTS_PATH = ".local/outputs.json";

/** A relative path from its parts: a call, so that a bundle that uses none of these paths keeps none. */
function path(...parts: string[]): string {
  return parts.join("/");
}
