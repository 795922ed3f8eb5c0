/**
 * The web console of the local stack, served at the root of the gateway's HTTP server (`http://127.0.0.1:4510/`):
 * a page built on the client library (client/) that mints a token, connects, subscribes, publishes and broadcasts,
 * and shows the frames, the number of connections and the Lambda's log lines live. The page itself is
 * `../console-page/`; this folder is its server side.
 *
 * It is a developer tool for this machine only (guard.ts). The @connections API next to it keeps refusing every
 * browser request.
 */
import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import type { LogTail } from "../logs/tail.js";
import { streamEvents } from "./event-stream.js";
import { consoleRefusal, pageHeaders, send, sendJson } from "./guard.js";
import { mint } from "./token.js";

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

/**
 * The console's address for a stack's WebSocket URL: the same host and port, path `/`.
 * @param wsUrl - the stack's `ws_url` output
 */
export function consoleUrl(wsUrl: string): string {
  return `http://${new URL(wsUrl).host}/`;
}

const PAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "console-page");

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
      return streamEvents(source.lambdaLog, connectionCount, req, res);
    case CONSOLE_PATHS.favicon:
      return send(res, 200, "image/svg+xml", FAVICON_SVG);
    default:
      return mint(source.tokenSecret, req, res);
  }
}
