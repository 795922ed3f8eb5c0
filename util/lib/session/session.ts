/**
 * The built-in client of `util/connect`: the client library (client/) over `ws`, with the terminal's lines sent as
 * they are typed and every frame received printed as a line.
 */
import { randomUUID } from "node:crypto";
import { createInterface } from "node:readline";
import { createClient, type FanoutClient, FanoutError } from "@fanout/client";
import { CliError } from "../cli.js";
import { fragments, frameLine, PING_REQUEST } from "../frames.js";
import type { Stack } from "../stack.js";
import { formatDuration } from "../timeout.js";
import { type LibrarySocket, librarySocket } from "./library-socket.js";

/** How long the close handshake may take before the socket is dropped. */
const CLOSE_GRACE_MS = 3000;

/** What to do once connected, in the order given on the command line. */
export type Shortcut =
  | { kind: "raw"; request: string }
  | { kind: "subscribe"; channel: string }
  | { kind: "publish"; channel: string; message: unknown };

/** Everything the built-in session needs. */
export interface SessionOptions {
  url: string;
  /** Called before every connection attempt; undefined when the stack needs no token. */
  token: (() => Promise<string>) | undefined;
  shortcuts: Shortcut[];
  count: number | undefined;
  /** End the session after this long (`--timeout`). */
  timeoutMs: number | undefined;
  reconnect: boolean;
  stack: Stack;
}

/**
 * The built-in client: the client library over `ws` (library-socket.ts says why not the global
 * WebSocket). Resolves with the exit code once the session ends; rejects if the first connection never opened.
 */
export function runSession(options: SessionOptions): Promise<number> {
  const { url, shortcuts, count, timeoutMs, reconnect, stack } = options;
  return new Promise((resolve, reject) => {
    const status = (line: string) => process.stderr.write(`${line}\n`);
    status(`connecting to ${url}`);
    let opened = false;
    let closing = false;
    let finished = false;
    let inputEnded = false;
    let received = 0;
    /** Keepalive pings the library sent whose pong is not in yet: those pongs are not printed. */
    let keepalivePongs = 0;
    let lastError: NodeJS.ErrnoException | undefined;
    let lastClose: { code: number; reason: string } | undefined;
    /** The socket the user's lines go to: the newest open one. */
    let socket: LibrarySocket | undefined;
    const sockets = new Set<LibrarySocket>();

    // Not a terminal-mode readline: the terminal keeps its own line editing, Ctrl-C stays a SIGINT and Ctrl-D an
    // end of input, as with websocat.
    const input = createInterface({
      input: process.stdin,
      terminal: false,
      crlfDelay: Number.POSITIVE_INFINITY,
    });
    input.pause();

    const Socket = librarySocket({
      created: (s) => sockets.add(s),
      open: (s) => {
        socket = s;
        lastError = undefined;
      },
      error: (_s, error) => {
        lastError = error;
        if (opened && !closing) status(`error: ${error.message}`);
      },
      frame: (_s, data, isBinary) => {
        if (keepalivePongs > 0 && !isBinary && data.toString("utf8") === '{"action":"pong"}') {
          keepalivePongs -= 1;
          return;
        }
        process.stdout.write(`${frameLine(data, isBinary)}\n`);
        received += 1;
        if (count !== undefined && received >= count) close();
      },
      closed: (s, code, reason, byClient) => {
        sockets.delete(s);
        if (s === socket) socket = undefined;
        if (!byClient) lastClose = { code, reason };
        if (closing && sockets.size === 0) finish(code, reason);
      },
    });
    // The library's keepalive ping goes through send(); the user's (typed or --ping) through sendRaw().
    const CountingSocket = class extends Socket {
      override send(data: string): void {
        if (data === PING_REQUEST) keepalivePongs += 1;
        super.send(data);
      }
    };

    const client: FanoutClient = createClient({
      url,
      WebSocket: CountingSocket,
      // librarySocket sends a message over 32 KB as 32 KB fragments, so the library may send up to 128 KB.
      canFragment: true,
      token: options.token,
    });

    /** The exit code once closed: 1 when --timeout ended a session that had not received --count frames. */
    let exitCode = 0;
    const finish = (code: number, reason: string) => {
      if (finished) return;
      finished = true;
      cleanup();
      status(`closed (${code}${reason ? ` ${reason}` : ""})`);
      resolve(exitCode);
    };
    const deadline =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            if (finished || closing) return;
            const took = formatDuration(timeoutMs);
            if (!opened) {
              for (const s of sockets) s.terminate();
              end(() =>
                reject(new CliError(`cannot connect to ${url}: no connection within ${took} (--timeout)`)),
              );
              return;
            }
            if (count !== undefined && received < count) {
              status(`timed out after ${took}: received ${received} of ${count} frames`);
              exitCode = 1;
            }
            close();
          }, timeoutMs).unref();
    const cleanup = () => {
      clearTimeout(deadline);
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      if (!inputEnded) input.close();
      // Readline leaves stdin open; destroying it lets the process exit while the terminal still has input.
      process.stdin.destroy();
    };
    /** Ends the session at once (no more retries, the terminal given back), then settles it. */
    const end = (settle: () => void) => {
      closing = true;
      finished = true;
      client.close();
      cleanup();
      settle();
    };
    const close = () => {
      if (closing) return;
      closing = true;
      const open = [...sockets];
      client.close();
      if (open.length === 0) finish(1000, "");
      setTimeout(() => {
        for (const s of open) s.terminate();
      }, CLOSE_GRACE_MS).unref();
    };
    const send = (line: string) => {
      if (!socket?.isOpen) {
        status("not sent: not connected (reconnecting)");
        return;
      }
      try {
        fragments(line);
      } catch (error) {
        status(`not sent: ${(error as Error).message}`);
        return;
      }
      socket.sendRaw(line);
    };
    const onSignal = () => {
      if (!opened || closing) {
        // A second Ctrl-C, or one while still connecting: leave now.
        for (const s of sockets) s.terminate();
        process.exit(130);
      }
      close();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);

    client.on("state", (state) => {
      if (state === "open") {
        if (opened) {
          status(`reconnected to ${url}${client.channels.size > 0 ? " (resubscribing)" : ""}`);
          return;
        }
        opened = true;
        status(`connected to ${url} (each line you type is sent; Ctrl-D or Ctrl-C closes)`);
        runShortcuts(client, shortcuts, send, status).finally(() => {
          if (!closing) input.resume();
        });
        return;
      }
      if (state !== "reconnecting" || closing) return;
      if (!opened) {
        // The first connection failed: say why, once, and stop the library's retries.
        const error = lastError;
        const hint = stack.local && error?.code === "ECONNREFUSED" ? ": is `npm start` still running?" : "";
        const why = error ? error.message || error.code : "the connection closed during the handshake";
        end(() => reject(new CliError(`cannot connect to ${url}: ${why}${hint}`)));
        return;
      }
      const how = lastClose;
      lastClose = undefined;
      const told = how
        ? `the server closed the connection: code ${how.code}${how.reason ? `, reason: ${how.reason}` : ", no reason"}`
        : "the connection was lost (no answer to a keepalive ping)";
      if (reconnect) {
        status(`${told}; reconnecting`);
        return;
      }
      status(told);
      end(() => resolve(how?.code === 1000 ? 0 : 1));
    });

    input.on("line", (line) => {
      if (line.trim() !== "" && !closing) send(line);
    });
    input.on("close", () => {
      inputEnded = true;
      if (count === undefined || received >= count) close();
    });
  });
}

/**
 * Runs the shortcuts in order. A subscribe waits for its acknowledgement, so that a publish after it is received; a
 * refusal is reported and the next shortcut runs.
 */
async function runShortcuts(
  client: FanoutClient,
  shortcuts: Shortcut[],
  send: (request: string) => void,
  status: (line: string) => void,
): Promise<void> {
  for (const shortcut of shortcuts) {
    if (client.state === "closed") return;
    if (shortcut.kind === "raw") send(shortcut.request);
    else if (shortcut.kind === "publish") await publish(client, shortcut.channel, shortcut.message, status);
    else await subscribe(client, shortcut.channel, status);
  }
}

/**
 * Subscribes and waits for "subscribed" or a refusal. A service without channels answers with an error that names
 * no channel (UNKNOWN_ACTION), which the library cannot match to the request: any error while waiting counts.
 */
async function subscribe(
  client: FanoutClient,
  channel: string,
  status: (line: string) => void,
): Promise<void> {
  let stopListening: () => void = () => undefined;
  const unmatched = new Promise<FanoutError>((resolve) => {
    // A failed reconnect attempt (CONNECT) is not an answer to the subscribe.
    stopListening = client.on("error", (error) => {
      if (error.code !== "CONNECT") resolve(error);
    });
  });
  try {
    const outcome = await Promise.race([client.subscribe(channel).then(() => undefined), unmatched]);
    // The library keeps the channel and asks again after a reconnect (--reconnect); the refusal is printed again.
    if (outcome instanceof FanoutError) throw outcome;
    status(`subscribed to ${channel}`);
  } catch (error) {
    reportRefusal(`subscribe ${channel}`, error, status);
  } finally {
    stopListening();
  }
}

/**
 * Publishes with a fresh id and waits for `accepted` (printed like any frame), so that `--count` can end on it even
 * when this client is not subscribed to the channel; a refusal is reported and the next shortcut runs.
 */
async function publish(
  client: FanoutClient,
  channel: string,
  message: unknown,
  status: (line: string) => void,
): Promise<void> {
  try {
    await client.publish(channel, message, { id: randomUUID() });
  } catch (error) {
    reportRefusal(`publish ${channel}`, error, status);
  }
}

/** Prints why a shortcut's request was refused; a client closed meanwhile (CLOSED) is no refusal. */
function reportRefusal(request: string, error: unknown, status: (line: string) => void): void {
  if (error instanceof FanoutError && error.code === "CLOSED") return;
  const why = error instanceof FanoutError ? `${error.code}: ${error.message}` : String(error);
  status(`${request} refused: ${why}`);
}
