import { MAX_MESSAGE_BYTES } from "../contract/limits.js";
import { broadcastFrame } from "../contract/messages.js";
import { EVERYONE } from "../delivery/audience.js";
import { ListingFailedError } from "../delivery/engine.js";
import { ShardQueueError } from "../delivery/shard-job.js";
import { context, internalError, overMessageCap } from "../protocol/errors.js";
import { acceptedFrame, errorFrame } from "../protocol/frames.js";
import type { BroadcastRequest } from "../protocol/requests.js";
import type { ActionDependencies, RouteResult } from "./dependencies.js";
import { rejectRequest, reply } from "./reply.js";

/**
 * `broadcast`: sends `{"message": M}` to every stored connection, the sender included. With a client id the
 * frames are `{"message":M,"id":ID}` and the sender first gets `{"action":"accepted","id":ID}`; without one, the
 * frames of the first protocol exactly. A message too large once wrapped, or nested too deeply to serialise, is
 * refused to the sender alone. The fan-out is dispatched (`src/delivery/dispatch.ts`): a small one is sent before
 * this returns, a large one is enqueued in shards and this returns at once. The dispatch logs the
 * `fan-out dispatched` line and an inline fan-out's summary. (The route table checked the broadcast right.)
 * @param deps - store, send, log, dispatch and fan-out settings
 * @param connectionId - the sender
 * @param request - the broadcast's `message` and the client's id, if any
 */
export async function broadcast(
  deps: ActionDependencies,
  connectionId: string,
  request: Pick<BroadcastRequest, "message" | "id">,
): Promise<RouteResult> {
  const { message, id } = request;
  const where = id === undefined ? {} : context("broadcast", undefined, id);
  const frame = broadcastFrame(message, id);
  if (!frame.ok) return await rejectRequest(deps, connectionId, { ...frame.error, ...where });
  // A stack's own cap below the protocol's 128 KB: each byte is paid for once per recipient.
  const cap = deps.maxClientMessageBytes ?? MAX_MESSAGE_BYTES;
  if (frame.value.byteLength > cap) {
    return await rejectRequest(
      deps,
      connectionId,
      overMessageCap("broadcast", frame.value.byteLength, cap, where),
    );
  }
  if (id !== undefined) await reply(deps, connectionId, acceptedFrame(id));
  try {
    await deps.dispatch(EVERYONE, frame.value);
    return { statusCode: 200 };
  } catch (error) {
    // The dispatch has logged a ListingFailedError and a ShardQueueError (shards not enqueued); anything else is a
    // bug worth its own line.
    if (!(error instanceof ListingFailedError) && !(error instanceof ShardQueueError))
      deps.log.error("broadcast failed", { error });
    await reply(deps, connectionId, errorFrame(internalError("broadcast", { id })));
    return { statusCode: 500, body: "broadcast incomplete" };
  }
}
