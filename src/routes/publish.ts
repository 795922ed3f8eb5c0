import { canPublish } from "../capabilities.js";
import { acceptedFrame, deliveryFrame, generateId, type PublishRequest } from "../channels.js";
import { ShardQueueError } from "../dispatch.js";
import { FanoutError } from "../fanout.js";
import { type ChannelDependencies, forbidden, refuseChannelFrame, storeFailed } from "./channel-common.js";
import { reply } from "./reply.js";
import type { RouteResult } from "./types.js";

/**
 * `publish`: sends `{"channel":C,"message":M,"id":ID}` to the members of C only (the sender too if it is one).
 * With a client id, the sender first gets `{"action":"accepted","id":ID}` once the message is accepted for
 * fan-out; without one an id is generated for the frames and no acknowledgement is sent. A refused publish (no
 * right, too large, too deep) reaches the sender alone; nothing is sent to the channel.
 * @param deps - store (decorated with membership cleanup), memberships, rights, send, log, dispatch and settings
 * @param connectionId - the sender
 * @param request - the parsed frame (`id` read once by the route table)
 */
export async function publish(
  deps: ChannelDependencies,
  connectionId: string,
  request: Omit<PublishRequest, "action">,
): Promise<RouteResult> {
  const { channel, message, id } = request;
  if (!canPublish(deps.rights, channel))
    return refuseChannelFrame(deps, connectionId, forbidden("publish", channel, id));
  const data = deliveryFrame(channel, message, id ?? generateId());
  // A generated id means nothing to the sender: the refusal carries the client's id or none.
  if (!data.ok) return refuseChannelFrame(deps, connectionId, { ...data.rejection, id });
  if (id !== undefined) await reply(deps, connectionId, acceptedFrame(id));
  try {
    // Dispatched like a broadcast (`dispatch.ts`): a small channel inline, a large one in shards; the dispatch logs.
    await deps.dispatch({ kind: "channel", channel }, data.value);
    return { statusCode: 200 };
  } catch (error) {
    // The dispatch has logged a FanoutError (listing failed) and a ShardQueueError (shards not enqueued);
    // anything else is a bug worth its own line.
    if (!(error instanceof FanoutError) && !(error instanceof ShardQueueError))
      deps.log.error("publish failed", { error, channel });
    await refuseChannelFrame(
      deps,
      connectionId,
      storeFailed(
        "publish",
        "The message may not have reached every subscriber (the membership store or the shard queue failed); publish it again.",
        channel,
        id,
      ),
    );
    return { statusCode: 500, body: "publish incomplete" };
  }
}
