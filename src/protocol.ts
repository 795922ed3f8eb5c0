import { MAX_MESSAGE_BYTES } from "./limits.js";

/** Stable error codes of the client protocol, sent as `{"error":{"code","message"}}` to the sender only. */
export const ErrorCode = {
  INVALID_JSON: "INVALID_JSON",
  NOT_AN_OBJECT: "NOT_AN_OBJECT",
  MISSING_ACTION: "MISSING_ACTION",
  UNKNOWN_ACTION: "UNKNOWN_ACTION",
  MISSING_MESSAGE: "MISSING_MESSAGE",
  PAYLOAD_TOO_LARGE: "PAYLOAD_TOO_LARGE",
  BINARY_NOT_SUPPORTED: "BINARY_NOT_SUPPORTED",
  INTERNAL_ERROR: "INTERNAL_ERROR",
} as const;

/** One of the protocol's error codes. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** A frame the client sent that the service understands. */
export type ClientRequest = { action: "broadcast"; message: unknown } | { action: "ping" };

/** A frame the service refuses, with the code and the text the sender receives. */
export interface Rejection {
  code: ErrorCode;
  message: string;
}

/** The result of reading one client frame. */
export type ParsedFrame = { ok: true; request: ClientRequest } | { ok: false; rejection: Rejection };

const EXAMPLES = `{"action":"broadcast","message":"hello"} or {"action":"ping"}`;

/** The frame that answers a ping. */
export const PONG_FRAME = '{"action":"pong"}';

/**
 * Reads a client frame. API Gateway routes on `$request.body.action`, but the body is checked again here: the
 * `$default` route receives every frame that did not match, and a binary frame never has a usable action.
 * @param body - the frame's text as API Gateway passes it
 * @param isBase64Encoded - true for binary frames
 */
export function parseFrame(body: string | undefined, isBase64Encoded: boolean): ParsedFrame {
  if (isBase64Encoded) {
    return reject(
      "BINARY_NOT_SUPPORTED",
      `Binary frames are not supported; send JSON text frames such as ${EXAMPLES}.`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(body ?? "");
  } catch {
    return reject("INVALID_JSON", `The frame is not valid JSON; send a JSON object such as ${EXAMPLES}.`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return reject(
      "NOT_AN_OBJECT",
      `The frame must be a JSON object with an "action" field, such as ${EXAMPLES}.`,
    );
  }
  const frame = value as Record<string, unknown>;
  if (!("action" in frame)) {
    return reject("MISSING_ACTION", `The object has no "action" field; send ${EXAMPLES}.`);
  }
  if (frame.action === "ping") return { ok: true, request: { action: "ping" } };
  if (frame.action === "broadcast") {
    if (!("message" in frame)) {
      return reject(
        "MISSING_MESSAGE",
        `A broadcast needs a "message" field (any JSON value), such as {"action":"broadcast","message":"hello"}.`,
      );
    }
    return { ok: true, request: { action: "broadcast", message: frame.message } };
  }
  return reject("UNKNOWN_ACTION", `Unknown action ${describe(frame.action)}; send ${EXAMPLES}.`);
}

/**
 * Serialises the frame every recipient of a broadcast receives, once, as UTF-8 bytes.
 * @param message - the broadcast's `message` value
 * @returns the bytes, or a PAYLOAD_TOO_LARGE rejection when they exceed API Gateway's 128 KB message limit
 */
export function broadcastFrame(
  message: unknown,
): { ok: true; data: Uint8Array } | { ok: false; rejection: Rejection } {
  const data = Buffer.from(JSON.stringify({ message }), "utf8");
  if (data.byteLength > MAX_MESSAGE_BYTES) {
    return reject(
      "PAYLOAD_TOO_LARGE",
      `The broadcast is ${data.byteLength} bytes once wrapped as {"message":...}; the limit is ${MAX_MESSAGE_BYTES} bytes. Send a smaller message.`,
    );
  }
  return { ok: true, data };
}

/**
 * Serialises an error frame for the sender.
 * @param rejection - the code and text
 */
export function errorFrame(rejection: Rejection): string {
  return JSON.stringify({ error: { code: rejection.code, message: rejection.message } });
}

function reject(code: ErrorCode, message: string): { ok: false; rejection: Rejection } {
  return { ok: false, rejection: { code, message } };
}

/** Echoes a bad action back to its sender without echoing a whole oversized value. */
function describe(action: unknown): string {
  const text = JSON.stringify(action) ?? String(action);
  return text.length > 64 ? `${text.slice(0, 61)}...` : text;
}
