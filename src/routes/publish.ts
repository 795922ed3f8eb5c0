import { fanOutToChannel } from "../channel-fanout.js";
import { acceptedFrame, deliveryFrame, generateId, parsePublishRequest } from "../channels.js";
import { FanoutError } from "../fanout.js";
import {
  type ChannelDependencies,
  type ChannelSender,
  forbidden,
  refuseChannelFrame,
  storeFailed,
} from "./channel-common.js";
import { reply } from "./reply.js";
import type { RouteResult } from "./types.js";

/**
 * `publish`: sends `{"channel":C,"message":M,"id":ID}` to the members of C only (the sender too if it is one).
 * With a client id, the sender first gets `{"action":"accepted","id":ID}` once the message is accepted for
 * fan-out; without one an id is generated for the frames and no acknowledgement is sent. A refused publish (bad
 * frame, no right, too large) reaches the sender alone; nothing is sent to the channel.
 * @param deps - store (decorated with membership cleanup), memberships, send, log and settings
 * @param sender - the connection and its publish right
 * @param frame - the client's frame, a JSON object with `"action":"publish"`
 */
export async function publish(
  deps: ChannelDependencies,
  sender: ChannelSender,
  frame: Record<string, unknown>,
): Promise<RouteResult> {
  const { connectionId } = sender;
  const request = parsePublishRequest(frame);
  if (!request.ok) return refuseChannelFrame(deps, connectionId, request.rejection);
  const { channel, message, id } = request.value;
  if (!sender.allowed(channel))
    return refuseChannelFrame(deps, connectionId, forbidden("publish", channel, id));
  const data = deliveryFrame(channel, message, id ?? generateId());
  if (!data.ok) return refuseChannelFrame(deps, connectionId, { ...data.rejection, id });
  if (id !== undefined) await reply(deps, connectionId, acceptedFrame(id));
  try {
    await fanOutToChannel(deps, channel, data.value, deps.fanout);
    return { statusCode: 200 };
  } catch (error) {
    // The engine has logged a FanoutError with its summary; anything else is a bug worth its own line.
    if (!(error instanceof FanoutError)) deps.log.error("publish failed", { error, channel });
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
