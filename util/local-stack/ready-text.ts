import { relative } from "node:path";
import type { LocalStackOutputs } from "../../src/contract/index.js";
import { repoRoot } from "../lib/repo.js";
import { consoleUrl } from "./console/console.js";
import type { Settings } from "./settings.js";
import { outputsFile } from "./state/outputs.js";

/**
 * The terminal's text once the stack is ready: where everything is, and how to get a token.
 * @param started - `performance.now()` when the start began
 * @param bundleBytes - the size of the function's bundle
 */
export function readyText(
  settings: Settings,
  outputs: LocalStackOutputs,
  started: number,
  bundleBytes: number,
): string {
  const shown = (path: string) => (path.startsWith(repoRoot) ? relative(process.cwd(), path) || "." : path);
  return [
    `fanout local stack ready in ${((performance.now() - started) / 1000).toFixed(1)} s (stage "${settings.stage}")`,
    `  Console       ${consoleUrl(outputs.ws_url)}`,
    `  WebSocket     ${outputs.ws_url}`,
    `  @connections  ${outputs.management_endpoint}/@connections/{connectionId}`,
    `  S3 + SNS      ${outputs.s3_endpoint}  bucket ${settings.bucket}, topic ${outputs.input_sns_topic_arn}`,
    `  Lambda        ${settings.functionName}: ${(bundleBytes / 1024).toFixed(0)} KiB bundle, ` +
      `up to ${settings.lambdaConcurrency} environments${settings.lambdaThrottle ? " (then throttled)" : ""}, ` +
      `timeout ${settings.lambdaTimeoutMs / 1000} s`,
    settings.authMode === "token"
      ? `  Auth          tokens required (?token=…): mint one with util/token --local --sub NAME --broadcast --url; secret ${shown(outputs.token_secret_file ?? "")}`
      : "  Auth          OPEN: anyone may connect, broadcast and publish (started with --open)",
    `  Logs          ${shown(outputs.access_log_file)}  ${shown(outputs.lambda_log_file)}`,
    settings.writeOutputs ? `  Outputs       ${shown(outputsFile(settings.stateDir))}` : "",
  ]
    .filter(Boolean)
    .join("\n");
}
