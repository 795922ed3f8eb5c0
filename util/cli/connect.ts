import { spawn } from "node:child_process";
import { constants } from "node:fs";
import { access } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { createInterface } from "node:readline";
import WebSocket from "ws";
import { ALL_RIGHTS } from "../../src/capabilities.js";
import { CliError, parseCliArgs, runCli } from "../lib/cli.js";
import { broadcastFrame, fragments, frameLine, PING_FRAME, parseCount } from "../lib/frames.js";
import { STACK_HELP, type Stack, stackArgs, stackFrom } from "../lib/stack.js";
import { redactToken, resolveClientToken, urlWithToken } from "../lib/token.js";

const HELP = `Usage: util/connect [options]

Opens a session on the stack's WebSocket API: every frame received is printed on stdout, one per line; every line
typed (or piped) on stdin is sent as a frame. Ctrl-D (end of input) or Ctrl-C closes the session with code 1000.
Status messages go to stderr, so stdout carries data only.

Uses websocat when it is installed (\`websocat <ws_url>\`), otherwise a built-in client that behaves the same;
the shortcuts and --count need the built-in one, which they select.

Examples:
  util/connect --local                            # listen, type {"action":"ping"} to get a pong
  util/connect --local --broadcast hi --count 1   # broadcast "hi", exit after receiving it back
  echo '{"action":"ping"}' | util/connect --count 1

Options:
  --url URL          the WebSocket URL (default: the stack's ws_url output)
  --broadcast TEXT   once connected, send {"action":"broadcast","message":TEXT} (TEXT as JSON when it parses,
                     else as a string); repeatable
  --ping             once connected, send {"action":"ping"}; repeatable, kept in order with --broadcast
  --count N          close after receiving N frames (end of input then waits for them)
  --builtin          use the built-in client even when websocat is installed
  -h, --help         this help

${STACK_HELP}

Exit status: 0 closed normally (by you, or by the server with 1000), 1 failure or abnormal close (the code and
reason are printed), 2 usage error.`;

/** How long the close handshake may take before the socket is dropped. */
const CLOSE_GRACE_MS = 3000;

await runCli("connect", async () => {
  const { values, tokens } = parseCliArgs({
    tokens: true,
    options: {
      ...stackArgs,
      url: { type: "string" },
      broadcast: { type: "string", multiple: true },
      ping: { type: "boolean", multiple: true },
      count: { type: "string" },
      builtin: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const count = parseCount(values.count);
  // The tokens keep the order the user gave: `--ping --broadcast x` pings first.
  const shortcuts = tokens.flatMap((token) => {
    if (token.kind !== "option") return [];
    if (token.name === "ping") return [PING_FRAME];
    if (token.name === "broadcast" && token.value !== undefined) return [broadcastFrame(token.value)];
    return [];
  });
  const stack = stackFrom(values);
  let url = values.url ?? (await stack.require("ws_url"));
  // --- auth (issue 10), minimal until the console branch rewrites this CLI: a stack that requires tokens gets
  // one minted from its secret (every right, 15 minutes); a --url given by hand is used as is. ---
  if (values.url === undefined) {
    const token = await resolveClientToken(stack, { rights: ALL_RIGHTS, sub: "util-connect" });
    if (token !== undefined) url = urlWithToken(url, token);
  }

  const needsBuiltin = values.builtin === true || shortcuts.length > 0 || count !== undefined;
  const websocat = needsBuiltin ? undefined : await findOnPath("websocat");
  if (websocat !== undefined) {
    process.exitCode = await runWebsocat(websocat, url);
    return;
  }
  process.exitCode = await runSession(url, shortcuts, count, stack);
});

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

/**
 * The built-in client. Resolves with the exit code once the socket is closed; rejects if it never opened.
 * @param url - where to connect
 * @param shortcuts - frames to send as soon as the session is open, in order
 * @param count - close after this many received frames
 * @param stack - the stack, for the hint when nothing listens
 */
function runSession(
  url: string,
  shortcuts: string[],
  count: number | undefined,
  stack: Stack,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const status = (line: string) => process.stderr.write(`${line}\n`);
    status(`connecting to ${redactToken(url)}`);
    const ws = new WebSocket(url);
    let opened = false;
    let closing = false;
    let inputEnded = false;
    let received = 0;

    // Not a terminal-mode readline: the terminal keeps its own line editing, Ctrl-C stays a SIGINT and Ctrl-D an
    // end of input, as with websocat.
    const input = createInterface({
      input: process.stdin,
      terminal: false,
      crlfDelay: Number.POSITIVE_INFINITY,
    });
    input.pause();

    const close = () => {
      if (closing) return;
      closing = true;
      ws.close(1000);
      setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref();
    };
    const send = (line: string) => {
      let parts: Buffer[];
      try {
        parts = fragments(line);
      } catch (error) {
        status(`not sent: ${(error as Error).message}`);
        return;
      }
      parts.forEach((part, index) => {
        ws.send(part, { binary: false, fin: index === parts.length - 1 });
      });
    };
    const onSignal = () => {
      if (!opened || closing) {
        // A second Ctrl-C, or one while still connecting: leave now.
        ws.terminate();
        process.exit(130);
      }
      close();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);

    ws.on("open", () => {
      opened = true;
      status(`connected to ${redactToken(url)} (each line you type is sent; Ctrl-D or Ctrl-C closes)`);
      for (const frame of shortcuts) send(frame);
      input.resume();
    });
    ws.on("message", (data: Buffer, isBinary) => {
      process.stdout.write(`${frameLine(data, isBinary)}\n`);
      received += 1;
      if (count !== undefined && received >= count) close();
    });
    input.on("line", (line) => {
      if (line.trim() !== "" && !closing) send(line);
    });
    input.on("close", () => {
      inputEnded = true;
      if (count === undefined || received >= count) close();
    });
    ws.on("error", (error: NodeJS.ErrnoException) => {
      if (opened) {
        status(`error: ${error.message}`);
        return;
      }
      input.close();
      const hint = stack.local && error.code === "ECONNREFUSED" ? ": is `npm start` still running?" : "";
      reject(new CliError(`cannot connect to ${redactToken(url)}: ${error.message || error.code}${hint}`));
    });
    ws.on("close", (code, reasonBuffer) => {
      // Read before closing the input, whose close handler would otherwise count as ours.
      const closedByUs = closing;
      closing = true;
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      if (!inputEnded) input.close();
      // Readline leaves stdin open; destroying it lets the process exit while the terminal still has input.
      process.stdin.destroy();
      if (!opened) return;
      const reason = reasonBuffer.toString("utf8");
      if (closedByUs) {
        status(`closed (${code}${reason ? ` ${reason}` : ""})`);
        resolve(0);
        return;
      }
      status(
        `the server closed the connection: code ${code}${reason ? `, reason: ${reason}` : ", no reason"}`,
      );
      resolve(code === 1000 ? 0 : 1);
    });
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
