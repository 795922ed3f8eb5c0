import { spawn } from "node:child_process";
import { constants } from "node:fs";
import { access } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { ALL_RIGHTS } from "../../src/contract/index.js";
import { parseCliArgs, runCli, UsageError } from "../lib/cli.js";
import { broadcastRequest, PING_REQUEST, parseCount } from "../lib/frames.js";
import { runSession, type Shortcut } from "../lib/session/session.js";
import { STACK_HELP, stackArgs, stackFrom } from "../lib/stack.js";
import { parseTimeout, timeoutArgs } from "../lib/timeout.js";
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
    if (token.name === "ping") shortcuts.push({ kind: "raw", request: PING_REQUEST });
    if (token.name === "broadcast" && token.value !== undefined)
      shortcuts.push({ kind: "raw", request: broadcastRequest(token.value) });
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

/** The seed's way, unchanged: `websocat <ws_url>`, with the terminal handed over. Resolves with its exit code. */
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
