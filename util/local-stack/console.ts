/**
 * The web console of the local stack, served at the root of the gateway's HTTP server (`http://127.0.0.1:4510/`):
 * a page built on the client library (client/) that mints a token, connects, subscribes, publishes and broadcasts,
 * and shows the frames, the number of connections and the Lambda's log lines live.
 *
 * It is a developer tool for this machine only: every console request must come from a loopback address with a
 * loopback `Host` (a page on another site that resolves its own name to 127.0.0.1, "DNS rebinding", is refused), and
 * a request carrying an `Origin` must come from the console's own origin. No CORS header is ever sent, so no other
 * site can read an answer. The @connections API next to it keeps refusing every browser request.
 */
import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { isIP } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { ALL_RIGHTS, type Capabilities, isValidPattern, MAX_PATTERNS } from "../../src/capabilities.js";
import { MAX_SUBJECT_LENGTH } from "../../src/tokens.js";
import { AUTOMATIC_TTL_SECONDS, MAX_TTL_SECONDS, mintToken } from "../lib/token.js";
import { formatLambda } from "./logs.js";

/** The console's paths; everything else goes to the @connections API. */
export const CONSOLE_PATHS = {
  page: "/",
  script: "/console/app.js",
  status: "/console/status",
  events: "/console/events",
  token: "/console/token",
  /** Browsers ask for it on their own; without an answer every page load logs a failed request. */
  favicon: "/favicon.ico",
} as const;

/** The console's icon: a fan of three lines from one point, in the header's colours (SVG, 300 bytes). */
const FAVICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#1d2430"/>' +
  '<g stroke="#9fd3ff" stroke-width="3" stroke-linecap="round"><path d="M7 16h18"/><path d="M7 16l16-9"/>' +
  '<path d="M7 16l16 9"/></g><circle cx="7" cy="16" r="3" fill="#fff"/></svg>';

/** How many Lambda log lines a newly opened console gets before the live ones. */
export const LOG_BACKLOG = 200;

/**
 * The file in the state folder that holds the stack's token secret once the stack issues tokens (docs/security.md:
 * `.local/token-secret`); the console mints with it. Without it the stack is open and no token is needed.
 */
export const TOKEN_SECRET_FILE = "token-secret";

/**
 * The console's address for a stack's WebSocket URL: the same host and port, path `/`.
 * @param wsUrl - the stack's `ws_url` output
 */
export function consoleUrl(wsUrl: string): string {
  return `http://${new URL(wsUrl).host}/`;
}

/** How often the connection count is sampled for the event stream (sent only when it changed). */
const COUNT_INTERVAL_MS = 250;
/** A comment line on the event stream this often, so that an idle stream is not taken for a dead one. */
const KEEPALIVE_MS = 15_000;
/** The largest token request body read. */
const MAX_TOKEN_REQUEST_BYTES = 8 * 1024;

const PAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), "console-page");

/** The Lambda log lines as they are written: the last {@link LOG_BACKLOG} kept, and listeners for the next ones. */
export class LogTail {
  private readonly lines: Record<string, unknown>[] = [];
  private readonly listeners = new Set<(record: Record<string, unknown>) => void>();

  /** Adds a line (the local stack calls this for every Lambda log record). */
  push(record: Record<string, unknown>): void {
    this.lines.push(record);
    if (this.lines.length > LOG_BACKLOG) this.lines.shift();
    for (const listener of this.listeners) listener(record);
  }

  /** The lines kept, oldest first. */
  recent(): Record<string, unknown>[] {
    return [...this.lines];
  }

  /** Calls `listener` for every later line; returns the function that stops it. */
  subscribe(listener: (record: Record<string, unknown>) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** What the console needs from the stack. */
export interface ConsoleSource {
  /** The API stage: the page connects to `ws://<host>/<stage>`. */
  stage: string;
  /** The page's script (client library + console script), built at stack start. */
  script: Promise<string>;
  /** The Lambda's log lines. */
  lambdaLog: LogTail;
  /**
   * The stack's token secret, or undefined when the stack is open (no tokens). Read for every token request, so a
   * secret created after the console started is used.
   */
  tokenSecret: () => Promise<string | undefined>;
}

/** What a token request may ask for; every field is optional. */
export interface TokenRequest {
  sub?: string;
  ttlSeconds?: number;
  broadcast?: boolean;
  subscribe?: string[];
  publish?: string[];
}

/**
 * Builds the page's script: the client library and the console script in one ES module, minified. Built in memory at
 * stack start (like the Lambda bundle), so that the page always runs the library of this checkout.
 */
export async function buildConsoleScript(): Promise<string> {
  const result = await build({
    entryPoints: [join(PAGE_DIR, "app.ts")],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    legalComments: "none",
    logLevel: "silent",
  });
  return result.outputFiles[0]?.text ?? "";
}

/**
 * Wraps the gateway's request handler: console paths are answered here, every other request goes to `next`
 * (the @connections API). Without a source the console is off and `next` gets everything.
 * @param source - what the console shows and uses; undefined: no console
 * @param connectionCount - the gateway's live connection count
 * @param next - the handler of every other request
 */
export function withConsole(
  source: ConsoleSource | undefined,
  connectionCount: () => number,
  next: (req: IncomingMessage, res: ServerResponse) => void,
): (req: IncomingMessage, res: ServerResponse) => void {
  if (!source) return next;
  const page = readFile(join(PAGE_DIR, "index.html"), "utf8");
  page.catch(() => undefined);
  return (req, res) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (!(Object.values(CONSOLE_PATHS) as string[]).includes(path)) return next(req, res);
    serve(source, connectionCount, page, path, req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: `console: ${String(error)}` });
      else res.destroy();
    });
  };
}

async function serve(
  source: ConsoleSource,
  connectionCount: () => number,
  page: Promise<string>,
  path: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const refusal = consoleRefusal(req);
  if (refusal) {
    req.resume();
    return sendJson(res, 403, { error: refusal });
  }
  const method = req.method ?? "GET";
  const allowed = path === CONSOLE_PATHS.token ? "POST" : "GET";
  if (method !== allowed && !(allowed === "GET" && method === "HEAD")) {
    req.resume();
    res.setHeader("allow", allowed);
    return sendJson(res, 405, { error: `${path} answers ${allowed} only` });
  }
  switch (path) {
    case CONSOLE_PATHS.page:
      return send(res, 200, "text/html; charset=utf-8", await page, pageHeaders(req));
    case CONSOLE_PATHS.script:
      return send(res, 200, "text/javascript; charset=utf-8", await source.script);
    case CONSOLE_PATHS.status:
      return sendJson(res, 200, {
        wsUrl: `ws://${req.headers.host}/${source.stage}`,
        connections: connectionCount(),
        tokens: (await source.tokenSecret()) !== undefined,
      });
    case CONSOLE_PATHS.events:
      return streamEvents(source, connectionCount, req, res);
    case CONSOLE_PATHS.favicon:
      return send(res, 200, "image/svg+xml", FAVICON_SVG);
    default:
      return mint(source, req, res);
  }
}

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
function pageHeaders(req: IncomingMessage): Record<string, string> {
  return {
    "content-security-policy":
      `default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:; ` +
      `connect-src 'self' ws://${req.headers.host}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    "x-frame-options": "DENY",
  };
}

function send(
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

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, "application/json", JSON.stringify(value));
}

/**
 * Server-sent events: `connections` (the live count, when it changes) and `log` (`{level, text}` for each Lambda log
 * record, the backlog first). Ends when the page goes away or the gateway stops.
 */
function streamEvents(
  source: ConsoleSource,
  connectionCount: () => number,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
  });
  const event = (name: string, data: unknown) =>
    res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  let count = connectionCount();
  event("connections", count);
  // The terminal's readable line (context fields left out), stamped with the record's own time, so that the backlog
  // replayed to a page opened later keeps the times the lines were written at.
  const line = (record: Record<string, unknown>) => {
    const level = record.type === "platform.report" ? "REPORT" : String(record.level ?? "INFO");
    event("log", { level, text: formatLambda(record, recordTime(record)) });
  };
  for (const record of source.lambdaLog.recent()) line(record);
  const unsubscribe = source.lambdaLog.subscribe(line);
  const sampler = setInterval(() => {
    const now = connectionCount();
    if (now === count) return;
    count = now;
    event("connections", count);
  }, COUNT_INTERVAL_MS);
  const keepalive = setInterval(() => res.write(": keepalive\n\n"), KEEPALIVE_MS);
  req.socket.setTimeout(0);
  res.on("close", () => {
    clearInterval(sampler);
    clearInterval(keepalive);
    unsubscribe();
  });
}

/**
 * When a Lambda log record was written: Powertools' `timestamp`, or the `time` of a platform record
 * (`platform.report`); now for a record that carries neither.
 * @param record - the record
 */
export function recordTime(record: Record<string, unknown>): Date {
  const stamp = record.timestamp ?? record.time;
  const at = typeof stamp === "string" ? new Date(stamp) : new Date(Number.NaN);
  return Number.isNaN(at.getTime()) ? new Date() : at;
}

/** POST /console/token: a token signed with the stack's secret; 409 when the stack is open (no secret). */
async function mint(source: ConsoleSource, req: IncomingMessage, res: ServerResponse): Promise<void> {
  // A JSON body only: a cross-site form cannot send one, and a cross-site fetch with it needs a preflight we refuse.
  if (!/^application\/json\b/i.test(req.headers["content-type"] ?? "")) {
    req.resume();
    return sendJson(res, 415, { error: "send the token request as application/json" });
  }
  const body = await readBody(req, MAX_TOKEN_REQUEST_BYTES);
  if (body === undefined) return sendJson(res, 413, { error: "token request too large" });
  let request: unknown;
  try {
    request = body.trim() === "" ? {} : JSON.parse(body);
  } catch {
    return sendJson(res, 400, { error: "the token request is not JSON" });
  }
  const parsed = parseTokenRequest(request);
  if (typeof parsed === "string") return sendJson(res, 400, { error: parsed });
  const secret = await source.tokenSecret();
  if (secret === undefined) {
    return sendJson(res, 409, {
      error: "this stack is open (it has no token secret): connect without a token",
    });
  }
  const now = new Date();
  const token = await mintToken(secret, { ...parsed, now });
  const expiresAt = new Date(now.getTime() + parsed.ttlSeconds * 1000).toISOString();
  return sendJson(res, 200, { token, sub: parsed.sub, expiresAt, capabilities: parsed.capabilities });
}

/**
 * Checks a token request and applies the defaults: subject `console`, {@link AUTOMATIC_TTL_SECONDS}, every right.
 * @returns what to mint, or the reason it is refused
 */
export function parseTokenRequest(
  value: unknown,
): { sub: string; ttlSeconds: number; capabilities: Capabilities } | string {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "send a JSON object";
  const r = value as Record<string, unknown>;
  const sub = r.sub ?? "console";
  if (typeof sub !== "string" || sub.trim() === "" || sub.length > MAX_SUBJECT_LENGTH)
    return `sub must be a string of 1 to ${MAX_SUBJECT_LENGTH} characters`;
  const ttlSeconds = r.ttlSeconds ?? AUTOMATIC_TTL_SECONDS;
  if (
    typeof ttlSeconds !== "number" ||
    !Number.isInteger(ttlSeconds) ||
    ttlSeconds < 1 ||
    ttlSeconds > MAX_TTL_SECONDS
  )
    return `ttlSeconds must be a whole number from 1 to ${MAX_TTL_SECONDS}`;
  const broadcast = r.broadcast ?? ALL_RIGHTS.broadcast;
  if (typeof broadcast !== "boolean") return "broadcast must be true or false";
  const patterns = (name: "subscribe" | "publish"): string[] | string => {
    const list = r[name] ?? [...ALL_RIGHTS[name]];
    if (!Array.isArray(list) || list.length > MAX_PATTERNS)
      return `${name} must be a list of at most ${MAX_PATTERNS} patterns`;
    const bad = list.find((p) => typeof p !== "string" || !isValidPattern(p));
    return bad === undefined
      ? (list as string[])
      : `${name}: ${JSON.stringify(bad)} is not a channel pattern`;
  };
  const subscribe = patterns("subscribe");
  if (typeof subscribe === "string") return subscribe;
  const publish = patterns("publish");
  if (typeof publish === "string") return publish;
  return { sub, ttlSeconds, capabilities: { broadcast, subscribe, publish } };
}

function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on("end", () => resolve(size <= limit ? Buffer.concat(chunks).toString("utf8") : undefined));
    req.on("error", reject);
  });
}
