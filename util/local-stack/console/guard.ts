/**
 * The console is for this machine only: every request must come from a loopback address with a loopback `Host` (a
 * page on another site that resolves its own name to 127.0.0.1, "DNS rebinding", is refused), and a request carrying
 * an `Origin` must come from the console's own origin. Every answer carries headers that keep other sites out; no
 * CORS header is ever sent, so no other site can read an answer.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { isIP } from "node:net";

/**
 * Why a console request is refused, or undefined: it must come from this machine, name a loopback host (a foreign
 * name resolving to 127.0.0.1 is DNS rebinding), and carry no `Origin` but the console's own.
 * @param req - the request
 */
export function consoleRefusal(req: IncomingMessage): string | undefined {
  const remote = req.socket.remoteAddress ?? "";
  if (!isLoopbackAddress(remote)) return "the console is served to this machine only (loopback)";
  const host = req.headers.host ?? "";
  if (!isLoopbackHost(host)) return `the console answers only to a loopback Host (got "${host}")`;
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${host}`) {
    return `requests from another origin (${origin}) are refused: open the console at http://${host}/`;
  }
  return undefined;
}

function isLoopbackAddress(address: string): boolean {
  const plain = address.replace(/^::ffff:/i, "");
  return plain === "::1" || (isIP(plain) === 4 && plain.startsWith("127."));
}

/** `127.0.0.1:4510`, `localhost:4510`, `[::1]:4510` (the port is whatever the gateway listens on). */
function isLoopbackHost(host: string): boolean {
  const match = /^(\[::1\]|localhost|[0-9.]+)(?::\d{1,5})?$/i.exec(host);
  if (!match) return false;
  const name = (match[1] as string).toLowerCase();
  return name === "[::1]" || name === "localhost" || (isIP(name) === 4 && name.startsWith("127."));
}

/** The page may load only its own script and talk only to its own stack. */
export function pageHeaders(req: IncomingMessage): Record<string, string> {
  return {
    "content-security-policy":
      `default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:; ` +
      `connect-src 'self' ws://${req.headers.host}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    "x-frame-options": "DENY",
  };
}

/** Answers with `body`, never cached, never sniffed, never with a referrer. */
export function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  res
    .writeHead(status, {
      "content-type": type,
      "content-length": Buffer.byteLength(body),
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
      ...headers,
    })
    .end(body);
}

/** Answers with `value` as JSON (see {@link send}). */
export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, "application/json", JSON.stringify(value));
}
