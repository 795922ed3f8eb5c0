import { PONG_FRAME } from "../protocol.js";
import { reply } from "./reply.js";
import type { MessageDependencies, RouteResult } from "./types.js";

/**
 * `ping`: answers `{"action":"pong"}` to the sender.
 * @param deps - store, send, log and timeout
 * @param connectionId - the sender
 */
export async function ping(deps: MessageDependencies, connectionId: string): Promise<RouteResult> {
  if (await reply(deps, connectionId, PONG_FRAME)) deps.log.info("pong sent");
  return { statusCode: 200 };
}
