import { PONG_FRAME } from "../protocol/frames.js";
import type { ActionDependencies, RouteResult } from "./dependencies.js";
import { reply } from "./reply.js";

/**
 * `ping`: answers `{"action":"pong"}` to the sender.
 * @param deps - store, send, log and timeout
 * @param connectionId - the sender
 */
export async function ping(deps: ActionDependencies, connectionId: string): Promise<RouteResult> {
  if (await reply(deps, connectionId, PONG_FRAME)) deps.log.info("pong sent");
  return { statusCode: 200 };
}
