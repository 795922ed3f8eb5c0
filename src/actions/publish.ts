import { randomUUID } from "node:crypto";
import { MAX_MESSAGE_BYTES } from "../contract/limits.js";
import { channelFrame, MAX_POSITION_BYTES } from "../contract/messages.js";
import { ListingFailedError } from "../delivery/engine.js";
import { ShardQueueError } from "../delivery/shard-job.js";
import { context, internalError, overMessageCap } from "../protocol/errors.js";
import { acceptedFrame } from "../protocol/frames.js";
import type { PublishRequest } from "../protocol/requests.js";
import { type ActionDependencies, historyOf, type RouteResult } from "./dependencies.js";
import { positioned } from "./history.js";
import { rejectRequest, reply } from "./reply.js";

/**
 * `publish`: sends `{"channel":C,"message":M,"id":ID}` to the members of C only (the sender too if it is one).
 * With a client id, the sender first gets `{"action":"accepted","id":ID}` once the message is accepted for
 * fan-out; without one an id is generated for the frames (a UUID, which fits the id grammar) and no
 * acknowledgement is sent. A refused publish (over 128 KB, or over the stack's `MAX_CLIENT_MESSAGE_BYTES` as a
 * broadcast is; too deep) reaches the sender alone; nothing is sent to the channel. On a channel that keeps history
 * the message is first written there, at the position its frame then carries (`"offset"`, `"epoch"`): `accepted`
 * means it has a position, and a message that reached anyone is in the history. If that write fails, nothing is
 * sent. (The route table checked the publish right.)
 * @param deps - store (decorated with membership cleanup), memberships, send, log, dispatch and settings
 * @param connectionId - the sender
 * @param request - the channel, the message and the client's id, if any
 */
export async function publish(
  deps: ActionDependencies,
  connectionId: string,
  request: Pick<PublishRequest, "channel" | "message" | "id">,
): Promise<RouteResult> {
  const { channel, message, id } = request;
  const history = historyOf(deps.history, channel);
  const frame = channelFrame(channel, message, id ?? randomUUID(), history !== undefined);
  // A generated id means nothing to the sender: the refusal carries the client's id or none.
  if (!frame.ok)
    return await rejectRequest(deps, connectionId, { ...frame.error, ...context("publish", channel, id) });
  // The same cap as a broadcast's: a channel's members pay for each byte as everyone does for a broadcast. The
  // frame as they receive it: with its position, on a channel that keeps history.
  const cap = deps.maxClientMessageBytes ?? MAX_MESSAGE_BYTES;
  const size = frame.value.byteLength + (history === undefined ? 0 : MAX_POSITION_BYTES);
  if (size > cap) {
    const where = context("publish", channel, id);
    return await rejectRequest(deps, connectionId, overMessageCap("publish", size, cap, where));
  }
  let data: Uint8Array;
  try {
    data = await positioned(history, channel, frame.value, deps.log);
  } catch (error) {
    deps.log.error("writing the channel history failed; the message was sent to nobody", { error, channel });
    await rejectRequest(deps, connectionId, internalError("publish", { channel, id }));
    return { statusCode: 500, body: "publish not written" };
  }
  if (id !== undefined) await reply(deps, connectionId, acceptedFrame(id));
  try {
    // Dispatched like a broadcast: a small channel inline, a large one in shards; the dispatch logs.
    await deps.dispatch({ kind: "channel", channel }, data);
    return { statusCode: 200 };
  } catch (error) {
    // The dispatch has logged a ListingFailedError and a ShardQueueError (shards not enqueued); anything else is a
    // bug worth its own line.
    if (!(error instanceof ListingFailedError) && !(error instanceof ShardQueueError))
      deps.log.error("publish failed", { error, channel });
    await rejectRequest(deps, connectionId, internalError("publish", { channel, id }));
    return { statusCode: 500, body: "publish incomplete" };
  }
}
