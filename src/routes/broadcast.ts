import { EVERYONE, ShardQueueError } from "../dispatch.js";
import { FanoutError } from "../fanout.js";
import { broadcastFrame, ErrorCode, errorFrame } from "../protocol.js";
import { rejectFrame, reply } from "./reply.js";
import type { MessageDependencies, RouteResult } from "./types.js";

/**
 * `broadcast`: sends `{"message": M}` to every stored connection, the sender included. A message too large once
 * wrapped, or nested too deeply to serialise, is refused to the sender alone. The fan-out is dispatched
 * (`dispatch.ts`): a small one is sent before this returns, a large one is enqueued in shards and this returns at
 * once. The dispatch logs the `fan-out dispatched` line and an inline fan-out's summary.
 * @param deps - store, send, log, dispatch and fan-out settings
 * @param connectionId - the sender
 * @param message - the broadcast's `message` value
 */
export async function broadcast(
  deps: MessageDependencies,
  connectionId: string,
  message: unknown,
): Promise<RouteResult> {
  const frame = broadcastFrame(message);
  if (!frame.ok) return rejectFrame(deps, connectionId, frame.rejection);
  try {
    await deps.dispatch(EVERYONE, frame.data);
    return { statusCode: 200 };
  } catch (error) {
    // The dispatch has logged a FanoutError (listing failed) and a ShardQueueError (shards not enqueued);
    // anything else is a bug worth its own line.
    if (!(error instanceof FanoutError) && !(error instanceof ShardQueueError))
      deps.log.error("broadcast failed", { error });
    await reply(
      deps,
      connectionId,
      errorFrame({
        code: ErrorCode.INTERNAL_ERROR,
        message:
          "The broadcast may not have reached every client (the connection store or the shard queue failed); try again.",
      }),
    );
    return { statusCode: 500, body: "broadcast incomplete" };
  }
}
