import { canBroadcast } from "../capabilities.js";
import { acceptedFrame } from "../channels.js";
import { MAX_MESSAGE_BYTES } from "../contract/limits.js";
import { EVERYONE, ShardQueueError } from "../dispatch.js";
import { FanoutError } from "../fanout.js";
import { broadcastFrame, errorFrame, reject } from "../protocol.js";
import { rejectFrame, reply } from "./reply.js";
import type { MessageDependencies, RouteResult } from "./types.js";

/**
 * `broadcast`: sends `{"message": M}` to every stored connection, the sender included. With a client id the
 * frames are `{"message":M,"id":ID}` and the sender first gets `{"action":"accepted","id":ID}`; without one, the
 * frames of the first protocol exactly. A message too large once wrapped, or nested too deeply to serialise, is
 * refused to the sender alone. The fan-out is dispatched (`dispatch.ts`): a small one is sent before this returns,
 * a large one is enqueued in shards and this returns at once. The dispatch logs the `fan-out dispatched` line and
 * an inline fan-out's summary.
 * @param deps - store, send, log, rights, dispatch and fan-out settings
 * @param connectionId - the sender
 * @param message - the broadcast's `message` value
 * @param id - the client's id, if any
 */
export async function broadcast(
  deps: MessageDependencies,
  connectionId: string,
  message: unknown,
  id?: string,
): Promise<RouteResult> {
  const where = id === undefined ? {} : { action: "broadcast" as const, id };
  // Checked first: a connection without the right learns nothing from the size or shape of its message.
  if (!canBroadcast(deps.rights)) {
    return rejectFrame(
      deps,
      connectionId,
      reject(
        "FORBIDDEN",
        "This connection may not broadcast: its token has no broadcast right (or the stack turned client publishing off).",
        where,
      ).rejection,
    );
  }
  const frame = broadcastFrame(message, id);
  if (!frame.ok) return rejectFrame(deps, connectionId, frame.rejection);
  // A stack's own cap below the protocol's 128 KB: each byte is paid for once per recipient.
  const cap = deps.maxBroadcastBytes ?? MAX_MESSAGE_BYTES;
  if (frame.data.byteLength > cap) {
    return rejectFrame(
      deps,
      connectionId,
      reject(
        "PAYLOAD_TOO_LARGE",
        `The broadcast is ${frame.data.byteLength} bytes once wrapped as {"message":...}; this stack accepts at most ${cap} bytes from a client. Send a smaller message.`,
        where,
      ).rejection,
    );
  }
  if (id !== undefined) await reply(deps, connectionId, acceptedFrame(id));
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
        code: "INTERNAL_ERROR",
        message:
          "The broadcast may not have reached every client (the connection store or the shard queue failed); try again.",
        ...(id === undefined ? {} : { action: "broadcast", id }),
      }),
    );
    return { statusCode: 500, body: "broadcast incomplete" };
  }
}
