import { canBroadcast } from "../capabilities.js";
import { acceptedFrame } from "../channels.js";
import { FanoutError, fanOut, logFanout } from "../fanout.js";
import { MAX_MESSAGE_BYTES } from "../limits.js";
import { broadcastFrame, ErrorCode, errorFrame, reject } from "../protocol.js";
import { rejectFrame, reply } from "./reply.js";
import type { MessageDependencies, RouteResult } from "./types.js";

/**
 * `broadcast`: sends `{"message": M}` to every stored connection, the sender included. With a client id the
 * frames are `{"message":M,"id":ID}` and the sender first gets `{"action":"accepted","id":ID}`; without one, the
 * frames of the first protocol exactly. A message too large once wrapped, or nested too deeply to serialise, is
 * refused to the sender alone. Logs the fan-out's summary line.
 * @param deps - store, send, log and fan-out settings
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
    logFanout(
      deps.log,
      await fanOut({ store: deps.store, send: deps.send, log: deps.log }, frame.data, deps.fanout),
    );
    return { statusCode: 200 };
  } catch (error) {
    // A FanoutError carries the summary of what was sent; anything else is a bug worth its own line.
    if (error instanceof FanoutError) logFanout(deps.log, error);
    else deps.log.error("broadcast failed", { error });
    await reply(
      deps,
      connectionId,
      errorFrame({
        code: ErrorCode.INTERNAL_ERROR,
        message: "The broadcast may not have reached every client (the connection store failed); try again.",
        ...(id === undefined ? {} : { action: "broadcast", id }),
      }),
    );
    return { statusCode: 500, body: "broadcast incomplete" };
  }
}
