import { canPublish } from "../capabilities.js";
import { fanOutToChannel } from "../channel-fanout.js";
import { acceptedFrame, deliveryFrame, generateId, type PublishRequest } from "../channels.js";
import { FanoutError, logFanout } from "../fanout.js";
import { type ChannelDependencies, forbidden, refuseChannelFrame, storeFailed } from "./channel-common.js";
import { reply } from "./reply.js";
import type { RouteResult } from "./types.js";

/**
 * `publish`: sends `{"channel":C,"message":M,"id":ID}` to the members of C only (the sender too if it is one).
 * With a client id, the sender first gets `{"action":"accepted","id":ID}` once the message is accepted for
 * fan-out; without one an id is generated for the frames and no acknowledgement is sent. A refused publish (no
 * right, too large, too deep) reaches the sender alone; nothing is sent to the channel.
 * @param deps - store (decorated with membership cleanup), memberships, rights, send, log and settings
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
    logFanout(deps.log, await fanOutToChannel(deps, channel, data.value, deps.fanout));
    return { statusCode: 200 };
  } catch (error) {
    // A FanoutError carries the summary of what was sent; anything else is a bug worth its own line.
    if (error instanceof FanoutError) logFanout(deps.log, error);
    else deps.log.error("publish failed", { error, channel });
    await refuseChannelFrame(
      deps,
      connectionId,
      storeFailed(
        "publish",
        "The message may not have reached every subscriber (the membership store failed); publish it again.",
        channel,
        id,
      ),
    );
    return { statusCode: 500, body: "publish incomplete" };
  }
}
