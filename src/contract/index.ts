/**
 * The contract: the names, limits, grammar and layouts that `src/` (the Lambda), `deployment/` (the Terraform
 * synth), `util/` (CLIs, local stack, benchmark) and the client library must agree on, in one place. It imports
 * nothing at all (no package, no `node:` builtin), so any of them can load it without pulling in the AWS SDK, CDK or
 * esbuild, and a browser can bundle it. A rename here is a rename everywhere; the compiler finds every user.
 * Everything here is side-effect free, so a bundle keeps only what it uses.
 */
export * from "./actions.js";
export * from "./environment.js";
export * from "./errors.js";
export * from "./grammar.js";
export * from "./limits.js";
export * from "./messages.js";
export * from "./outputs.js";
export * from "./paths.js";
export * from "./result.js";
export * from "./rights.js";
export * from "./storage.js";
