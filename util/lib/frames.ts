/**
 * What the CLIs send and print on a WebSocket. One name per direction: a client-to-server message is a request
 * (`PING_REQUEST`, `broadcastRequest`), a server-to-client one a frame (`frameLine`).
 */
import { clientRequest, MAX_FRAME_BYTES, MAX_MESSAGE_BYTES } from "../../src/contract/index.js";
import { UsageError } from "./cli.js";

/** The request that asks the service for a pong (docs/design.md, client protocol). */
export const PING_REQUEST = clientRequest("ping");

/**
 * The request that broadcasts `text` to every client. The text is sent as the JSON value it spells when it parses
 * (`42`, `{"a":1}`, `"quoted"`), else as a string, so `--broadcast hi` needs no shell-quoted JSON.
 * @param text - what follows `--broadcast`
 */
export function broadcastRequest(text: string): string {
  let message: unknown = text;
  try {
    message = JSON.parse(text);
  } catch {
    // Not JSON: send the text as a string.
  }
  return clientRequest("broadcast", { message });
}

/**
 * One received frame as one line of output, so that frames can be read line by line by a script: a text frame as
 * it came, unless it spans lines, then compacted when it is JSON (same value) or with its line breaks escaped; a
 * binary frame in base64 (API Gateway sends text, so this is a stranger's frame).
 * @param data - the frame's payload
 * @param isBinary - whether it was a binary frame
 */
export function frameLine(data: Buffer, isBinary: boolean): string {
  if (isBinary) return `base64:${data.toString("base64")}`;
  const text = data.toString("utf8");
  if (!/[\r\n]/.test(text)) return text;
  try {
    return JSON.stringify(JSON.parse(text));
  } catch {
    return text.replace(/\r/g, "\\r").replace(/\n/g, "\\n");
  }
}

/**
 * Splits a message into the frames API Gateway accepts: at most 32 KB each (a bigger frame closes the connection
 * with 1009), sent as one fragmented message. A message over 128 KB is refused here, where the user can still fix
 * it, rather than by the service.
 * @param text - one line of input
 * @returns the fragments, in order (one for a message that fits a frame)
 */
export function fragments(text: string): Buffer[] {
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length > MAX_MESSAGE_BYTES) {
    throw new RangeError(`${bytes.length} bytes, over the ${MAX_MESSAGE_BYTES}-byte (128 KB) message limit`);
  }
  const parts: Buffer[] = [];
  // A fragment may end inside a multi-byte character: text frames are validated as a whole message (RFC 6455 §5.6).
  for (let start = 0; start < bytes.length; start += MAX_FRAME_BYTES) {
    parts.push(bytes.subarray(start, start + MAX_FRAME_BYTES));
  }
  return parts.length > 0 ? parts : [bytes];
}

/**
 * Parses `--count N`: a positive integer.
 * @param text - the flag's value, if given
 */
export function parseCount(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[1-9][0-9]*$/.test(text))
    throw new UsageError(`--count ${text}: give a positive whole number of frames`);
  return Number(text);
}
