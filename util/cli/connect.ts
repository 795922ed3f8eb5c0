import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { constants } from "node:fs";
import { access } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { createInterface } from "node:readline";
import { createClient, type FanoutClient, FanoutError } from "../../client/index.js";
import { ALL_RIGHTS } from "../../src/capabilities.js";
import { CliError, parseCliArgs, runCli, UsageError } from "../lib/cli.js";
import { broadcastFrame, fragments, frameLine, PING_FRAME, parseCount } from "../lib/frames.js";
import { type LibrarySocket, librarySocket } from "../lib/library-socket.js";
import { STACK_HELP, type Stack, stackArgs, stackFrom } from "../lib/stack.js";
import { formatDuration, parseTimeout, timeoutArgs } from "../lib/timeout.js";
import { redactToken, resolveClientToken, urlWithToken } from "../lib/token.js";

const HELP = `Usage: util/connect [options]

Opens a session on the stack's WebSocket API: every frame received is printed on stdout, one per line; every line
typed (or piped) on stdin is sent as a frame. Ctrl-D (end of input) or Ctrl-C closes the session with code 1000.
Status messages go to stderr, so stdout carries data only.

Uses websocat when it is installed (\`websocat <ws_url>\`), otherwise the built-in client, which is the fanout
client library (client/): it pings every 5 minutes so an idle session is not closed at 10 (the answers to its own
pings are not printed), and with --reconnect it reconnects and resubscribes after a drop. The shortcuts, --count,
--timeout, --token and --reconnect need the built-in client, which they select.

Examples:
  util/connect --local                            # listen, type {"action":"ping"} to get a pong
  util/connect --local --broadcast hi --count 1   # broadcast "hi", exit after receiving it back
  util/connect --local --subscribe news/eu        # print what is published on news/eu
  util/connect --local --publish news/eu '{"n":1}' --count 1     # publish, exit on the acknowledgement
  util/connect --local --subscribe a --publish a '{"n":1}' --count 3   # subscribed, accepted, the message
  util/connect --local --subscribe news/eu --count 1 --timeout 30s     # the next message, or exit 1 after 30 s
  echo '{"action":"ping"}' | util/connect --count 1

Options:
  --url URL            the WebSocket URL (default: the stack's ws_url output)
  --token TOKEN        a token, sent as ?token= on the URL (see util/token); never printed
  --subscribe CHANNEL  once connected, subscribe to CHANNEL and wait for "subscribed"; repeatable
  --publish CHANNEL MESSAGE
                       once connected, publish MESSAGE on CHANNEL (MESSAGE as JSON when it parses, else as a
                       string) with an id, so the service acknowledges it ({"action":"accepted","id":ID}, one
                       frame for --count); repeatable
  --broadcast TEXT     once connected, send {"action":"broadcast","message":TEXT} (TEXT as JSON when it parses,
                       else as a string); repeatable
  --ping               once connected, send {"action":"ping"}; repeatable
                       (--subscribe, --publish, --broadcast and --ping run in the order given)
  --count N            close after receiving N frames, acknowledgements included (end of input then waits)
  --timeout DURATION   end the session after DURATION (10s, 2m, 500ms): exit 1 if it never connected or --count
                       frames have not arrived by then, else close normally
  --reconnect          when the connection drops, reconnect (backoff with jitter) and resubscribe, instead of exiting
  --builtin            use the built-in client even when websocat is installed
  -h, --help           this help

${STACK_HELP}

Exit status: 0 closed normally (by you, or by the server with 1000), 1 failure or abnormal close (the code and
reason are printed), 2 usage error.`;

/** How long the close handshake may take before the socket is dropped. */
const CLOSE_GRACE_MS = 3000;

/** What to do once connected, in the order given on the command line. */
type Shortcut =
  | { kind: "raw"; frame: string }
  | { kind: "subscribe"; channel: string }
  | { kind: "publish"; channel: string; message: unknown };

/** Everything the built-in session needs. */
interface SessionOptions {
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

await runCli("connect", async () => {
  const { values, tokens } = parseCliArgs({
    tokens: true,
    allowPositionals: true,
    options: {
      ...stackArgs,
      url: { type: "string" },
      token: { type: "string" },
      subscribe: { type: "string", multiple: true },
      publish: { type: "string", multiple: true },
      broadcast: { type: "string", multiple: true },
      ping: { type: "boolean", multiple: true },
      count: { type: "string" },
      ...timeoutArgs,
      reconnect: { type: "boolean" },
      builtin: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const count = parseCount(values.count);
  const timeoutMs = parseTimeout(values.timeout);
  const shortcuts = parseShortcuts(tokens);
  if (values.token !== undefined && values.token.trim() === "")
    throw new UsageError("--token is empty: pass a token (util/token mints one)");
  const stack = stackFrom(values);
  const url = values.url ?? (await stack.require("ws_url"));
  // A stack that requires tokens gets one minted from its secret (every right, 15 minutes), fresh for every
  // connection attempt; --token is used as given, and a --url given by hand as it is.
  const mint = () =>
    resolveClientToken(stack, { token: values.token, rights: ALL_RIGHTS, sub: "util-connect" });
  const first = values.token !== undefined || values.url === undefined ? await mint() : undefined;
  const token = first === undefined ? undefined : async () => (await mint()) ?? first;

  const needsBuiltin =
    values.builtin === true ||
    shortcuts.length > 0 ||
    count !== undefined ||
    timeoutMs !== undefined ||
    values.token !== undefined ||
    values.reconnect === true;
  const websocat = needsBuiltin ? undefined : await findOnPath("websocat");
  if (websocat !== undefined) {
    process.exitCode = await runWebsocat(websocat, first === undefined ? url : urlWithToken(url, first));
    return;
  }
  process.exitCode = await runSession({
    url,
    token,
    shortcuts,
    count,
    timeoutMs,
    reconnect: values.reconnect === true,
    stack,
  });
});

/**
 * The shortcuts in the order the user gave them (`--ping --broadcast x` pings first). `--publish CHANNEL MESSAGE`
 * takes the positional argument that follows it as the message; any other positional argument is a usage error.
 */
function parseShortcuts(tokens: ReturnType<typeof parseCliArgs>["tokens"]): Shortcut[] {
  const shortcuts: Shortcut[] = [];
  const list = tokens ?? [];
  for (let i = 0; i < list.length; i++) {
    const token = list[i];
    if (token?.kind === "positional") {
      throw new UsageError(
        `unexpected argument "${token.value}": a message goes right after --publish CHANNEL (--publish news/eu hello)`,
      );
    }
    if (token?.kind !== "option") continue;
    if (token.name === "ping") shortcuts.push({ kind: "raw", frame: PING_FRAME });
    if (token.name === "broadcast" && token.value !== undefined)
      shortcuts.push({ kind: "raw", frame: broadcastFrame(token.value) });
    if (token.name === "subscribe" && token.value !== undefined)
      shortcuts.push({ kind: "subscribe", channel: token.value });
    if (token.name === "publish" && token.value !== undefined) {
      const next = list[i + 1];
      if (next?.kind !== "positional") {
        throw new UsageError(`--publish ${token.value} needs a message: --publish CHANNEL MESSAGE`);
      }
      i += 1;
      shortcuts.push({ kind: "publish", channel: token.value, message: parseMessage(next.value) });
    }
  }
  return shortcuts;
}

/** A message as typed: the JSON value it spells when it parses, else the text (as --broadcast). */
function parseMessage(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The seed's way, unchanged: \`websocat <ws_url>\`, with the terminal handed over. Resolves with its exit code. */
function runWebsocat(websocat: string, url: string): Promise<number> {
  process.stderr.write(
    `connecting to ${redactToken(url)} with websocat (--builtin for the built-in client)\n`,
  );
  // Ctrl-C reaches websocat through the terminal's process group; we stay alive to pass on its exit status.
  process.on("SIGINT", () => {});
  return new Promise((resolve, reject) => {
    const child = spawn(websocat, [url], { stdio: "inherit" });
    child.on("error", reject);
    child.on("exit", (code, signal) => resolve(code ?? (signal === "SIGINT" ? 0 : 1)));
  });
}

/**
 * The built-in client: the client library over \`ws\` (util/lib/library-socket.ts says why not the global
 * WebSocket). Resolves with the exit code once the session ends; rejects if the first connection never opened.
 */
function runSession(options: SessionOptions): Promise<number> {
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
        if (data === PING_FRAME) keepalivePongs += 1;
        super.send(data);
      }
    };

    const client: FanoutClient = createClient({
      url,
      WebSocket: CountingSocket,
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
              closing = true;
              finished = true;
              client.close();
              for (const s of sockets) s.terminate();
              cleanup();
              reject(new CliError(`cannot connect to ${url}: no connection within ${took} (--timeout)`));
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
        closing = true;
        client.close();
        cleanup();
        finished = true;
        const error = lastError;
        const hint = stack.local && error?.code === "ECONNREFUSED" ? ": is `npm start` still running?" : "";
        const why = error ? error.message || error.code : "the connection closed during the handshake";
        reject(new CliError(`cannot connect to ${url}: ${why}${hint}`));
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
      closing = true;
      finished = true;
      client.close();
      cleanup();
      resolve(how?.code === 1000 ? 0 : 1);
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
  send: (frame: string) => void,
  status: (line: string) => void,
): Promise<void> {
  for (const shortcut of shortcuts) {
    if (client.state === "closed") return;
    if (shortcut.kind === "raw") send(shortcut.frame);
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
    stopListening = client.on("error", resolve);
  });
  try {
    const outcome = await Promise.race([client.subscribe(channel).then(() => undefined), unmatched]);
    // The library keeps the channel and asks again after a reconnect (--reconnect); the refusal is printed again.
    if (outcome instanceof FanoutError) throw outcome;
    status(`subscribed to ${channel}`);
  } catch (error) {
    if (error instanceof FanoutError && error.code === "CLOSED") return;
    const why = error instanceof FanoutError ? `${error.code}: ${error.message}` : String(error);
    status(`subscribe ${channel} refused: ${why}`);
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
    if (error instanceof FanoutError && error.code === "CLOSED") return;
    const why = error instanceof FanoutError ? `${error.code}: ${error.message}` : String(error);
    status(`publish ${channel} refused: ${why}`);
  }
}

/** The path of an executable on PATH, if there is one. */
async function findOnPath(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, name);
    const ok = await access(candidate, constants.X_OK).then(
      () => true,
      () => false,
    );
    if (ok) return candidate;
  }
  return undefined;
}
