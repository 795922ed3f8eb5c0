/**
 * The Lambda entry point, bundled as `index.handler`: it loads per event the code that event needs. A `$connect`
 * authorizer event needs the verifier only (`authorizer-handler.ts`); every other event needs the stores and the
 * clients (`handler.ts`). Each `import()` is a chunk of its own in the bundle (esbuild's code splitting), loaded
 * once per execution environment and then kept by the module cache, so only the first event of each kind pays
 * for it. Many shards mean many cold starts, and most of them are shard workers or authorizers: neither should
 * load and compile what only the other needs.
 */
import type { Context } from "aws-lambda";
import type { HandlerResult } from "./handler.js";
import { isAuthorizerEvent } from "./routes/authorize.js";

/**
 * Every event the function receives: API Gateway WebSocket and authorizer events, SNS and SQS events.
 * @param event - the event
 * @param context - the Lambda context
 */
export async function handler(event: unknown, context: Context | undefined): Promise<HandlerResult> {
  // First, as in handler.ts: an authorizer event also looks like a $connect.
  if (isAuthorizerEvent(event)) {
    const { handleAuthorizerEvent } = await import("./authorizer-handler.js");
    return handleAuthorizerEvent(event, context);
  }
  const full = await import("./handler.js");
  return full.handler(event, context);
}
