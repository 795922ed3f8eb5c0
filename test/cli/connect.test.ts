import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { delimiter, join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type WebSocket, WebSocketServer } from "ws";
import { CliProcess, cliEnv, pathWithout, runCliToEnd, tempDir } from "./support/run.js";

// The built-in client against a plain WebSocket server, for what the service never does on purpose: close with a
// custom code, refuse the handshake, send multi-line or binary frames.
let home: string;
let env: NodeJS.ProcessEnv;
let server: WebSocketServer | undefined;

beforeAll(() => {
  home = tempDir();
  env = cliEnv(home);
});
afterEach(async () => {
  // Clients first: with client tracking on, ws's close() calls back only once every client is gone, so a test that
  // failed with the CLI still connected would otherwise hang here.
  for (const client of server?.clients ?? []) client.terminate();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

/** A WebSocket server on loopback, with a free port; resolves with its URL. */
async function serve(options: {
  refuseWith?: number;
  onConnection?: (socket: WebSocket, req: IncomingMessage) => void;
}): Promise<string> {
  const wss = new WebSocketServer({
    host: "127.0.0.1",
    port: 0,
    verifyClient: (_info, done) => (options.refuseWith ? done(false, options.refuseWith) : done(true)),
  });
  server = wss;
  if (options.onConnection) wss.on("connection", options.onConnection);
  await new Promise((resolve) => wss.once("listening", resolve));
  return `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/stage`;
}

describe("util/connect (built-in client) against a plain WebSocket server", () => {
  it("reports the server's close code and reason on stderr and exits 1 for a code other than 1000", async () => {
    // Prepare: a server that closes as soon as it gets a frame
    const url = await serve({
      onConnection: (socket) => socket.on("message", () => socket.close(4001, "bye now")),
    });

    // Act
    const result = await runCliToEnd("connect", ["--builtin", "--url", url, "--ping", "--count", "1"], env);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^the server closed the connection: code 4001, reason: bye now$/m);
    expect(result.stdout).toBe("");
  });

  it("reports the server's close while the user is still typing (stdin open)", async () => {
    // Prepare
    const url = await serve({
      onConnection: (socket) => socket.on("message", () => socket.close(4002, "enough")),
    });
    const client = new CliProcess("connect", ["--builtin", "--url", url], env);

    try {
      // Act
      await client.waitFor("stderr", /^connected to /m);
      client.child.stdin.write('{"action":"ping"}\n');
      const result = await client.done;

      // Assess
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^the server closed the connection: code 4002, reason: enough$/m);
    } finally {
      await client.kill();
    }
  });

  it("exits 0 when the server closes normally (1000)", async () => {
    // Prepare
    const url = await serve({ onConnection: (socket) => socket.close(1000) });

    // Act
    const result = await runCliToEnd("connect", ["--builtin", "--url", url, "--count", "5"], env);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^the server closed the connection: code 1000, no reason$/m);
  });

  it("says the handshake was refused, in one line, exit 1", async () => {
    // Prepare: what API Gateway does when $connect fails
    const url = await serve({ refuseWith: 500 });

    // Act
    const result = await runCliToEnd("connect", ["--builtin", "--url", url], env);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr.trimEnd().split("\n").at(-1)).toBe(
      `connect: cannot connect to ${url}: Unexpected server response: 500`,
    );
  });

  it("prints a multi-line JSON frame on one line and a binary frame in base64", async () => {
    // Prepare
    const url = await serve({
      onConnection: (socket) => {
        socket.send('{\n  "a": 1\n}');
        socket.send(Buffer.from([1, 2, 3]), { binary: true });
      },
    });

    // Act
    const result = await runCliToEnd("connect", ["--builtin", "--url", url, "--count", "2"], env);

    // Assess
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('{"a":1}\nbase64:AQID\n');
  });
});

describe("util/connect on the client library, against a plain WebSocket server", () => {
  it("sends --token as ?token= on the URL and never prints it", async () => {
    // Prepare
    const token = "eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl";
    const urls: string[] = [];
    const url = await serve({
      onConnection: (socket, req) => {
        urls.push(req.url ?? "");
        socket.send('{"message":"hi"}');
      },
    });

    // Act
    const result = await runCliToEnd("connect", ["--url", url, "--token", token, "--count", "1"], env);

    // Assess
    expect(result.code, result.stderr).toBe(0);
    expect(urls).toEqual([`/stage?token=${token}`]);
    expect(result.stdout).toBe('{"message":"hi"}\n');
    expect(result.stderr).not.toContain(token);
  });

  it("runs --subscribe, --publish, --broadcast and --ping in order, each after the acknowledgement it waits for", async () => {
    // Prepare: a server that acknowledges a subscription and a publish with an id 200 ms later, as the service
    // does, and records what it receives
    const frames: string[] = [];
    const url = await serve({
      onConnection: (socket) =>
        socket.on("message", (data: Buffer) => {
          const text = data.toString("utf8");
          frames.push(text);
          const frame = JSON.parse(text) as { action: string; channel?: string; id?: string };
          if (frame.action === "subscribe") {
            setTimeout(
              () => socket.send(JSON.stringify({ action: "subscribed", channel: frame.channel })),
              200,
            );
          }
          if (frame.action === "publish" && frame.id !== undefined) {
            setTimeout(() => socket.send(JSON.stringify({ action: "accepted", id: frame.id })), 200);
          }
          if (frame.action === "ping") socket.send('{"action":"pong"}');
        }),
    });

    // Act
    const result = await runCliToEnd(
      "connect",
      [
        "--url",
        url,
        "--subscribe",
        "news/eu",
        "--publish",
        "news/eu",
        '{"n":1}',
        "--broadcast",
        "hi",
        "--ping",
        "--count",
        "3",
      ],
      env,
    );

    // Assess
    expect(result.code, result.stderr).toBe(0);
    const id = (JSON.parse(frames[1] ?? "{}") as { id?: string }).id;
    expect(frames).toEqual([
      '{"action":"subscribe","channel":"news/eu"}',
      `{"action":"publish","channel":"news/eu","message":{"n":1},"id":"${id}"}`,
      '{"action":"broadcast","message":"hi"}',
      '{"action":"ping"}',
    ]);
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(result.stdout).toBe(
      `{"action":"subscribed","channel":"news/eu"}\n{"action":"accepted","id":"${id}"}\n{"action":"pong"}\n`,
    );
    expect(result.stderr).toMatch(/^subscribed to news\/eu$/m);
  });

  it("reports a subscription the service refuses (no channels: UNKNOWN_ACTION) and carries on", async () => {
    // Prepare: today's service, which answers a subscribe with an error that names no channel
    const url = await serve({
      onConnection: (socket) =>
        socket.on("message", (data: Buffer) => {
          const action = (JSON.parse(data.toString("utf8")) as { action: string }).action;
          if (action === "subscribe")
            socket.send('{"error":{"code":"UNKNOWN_ACTION","message":"no such action"}}');
          if (action === "ping") socket.send('{"action":"pong"}');
        }),
    });

    // Act
    const result = await runCliToEnd(
      "connect",
      ["--url", url, "--subscribe", "a", "--ping", "--count", "2"],
      env,
    );

    // Assess
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/^subscribe a refused: UNKNOWN_ACTION: no such action$/m);
    expect(result.stdout.trimEnd().split("\n")).toEqual([
      '{"error":{"code":"UNKNOWN_ACTION","message":"no such action"}}',
      '{"action":"pong"}',
    ]);
  });

  it("with --reconnect, reports the server's close, reconnects and resubscribes by itself", async () => {
    // Prepare: the first connection is closed with 1012 once subscribed; the second acknowledges and sends a message
    let connections = 0;
    const url = await serve({
      onConnection: (socket) => {
        const n = ++connections;
        socket.on("message", (data: Buffer) => {
          const frame = JSON.parse(data.toString("utf8")) as { action: string; channel: string };
          if (frame.action !== "subscribe") return;
          if (n === 1) socket.close(1012, "restarting");
          else {
            socket.send(JSON.stringify({ action: "subscribed", channel: frame.channel }));
            socket.send(JSON.stringify({ channel: frame.channel, message: "after", id: "m1" }));
          }
        });
      },
    });

    // Act
    const result = await runCliToEnd(
      "connect",
      ["--url", url, "--subscribe", "a", "--reconnect", "--count", "2"],
      env,
    );

    // Assess
    expect(result.code, result.stderr).toBe(0);
    expect(connections).toBe(2);
    expect(result.stderr).toMatch(
      /^the server closed the connection: code 1012, reason: restarting; reconnecting$/m,
    );
    expect(result.stderr).toMatch(/^reconnected to ws:.* \(resubscribing\)$/m);
    expect(result.stdout).toBe(
      '{"action":"subscribed","channel":"a"}\n{"channel":"a","message":"after","id":"m1"}\n',
    );
  });

  it("sends a line over 32 KB in 32 KB fragments (API Gateway's frame limit), received as one message", async () => {
    // Prepare: a server that echoes the size of each message it receives
    const line = JSON.stringify({ action: "broadcast", message: "x".repeat(70_000) });
    const url = await serve({
      onConnection: (socket) => socket.on("message", (data: Buffer) => socket.send(String(data.length))),
    });

    // Act
    const result = await runCliToEnd("connect", ["--url", url, "--count", "1"], env, `${line}\n`);

    // Assess
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(`${Buffer.byteLength(line)}\n`);
  });
});

describe("the CLI tests' PATH", () => {
  it("hides an installed websocat and keeps every other program of its folder, in PATH order", () => {
    // Prepare: a folder with a websocat and another program, between two ordinary folders
    const bin = join(home, "installed-bin");
    mkdirSync(bin, { recursive: true });
    for (const name of ["websocat", "other-tool"])
      writeFileSync(join(bin, name), "#!/bin/sh\n", { mode: 0o755 });
    const path = ["/first", bin, "/last"].join(delimiter);

    // Act
    const folders = pathWithout("websocat", path).split(delimiter);

    // Assess
    expect(folders).toHaveLength(3);
    expect([folders[0], folders[2]]).toEqual(["/first", "/last"]);
    expect(folders[1]).not.toBe(bin);
    expect(existsSync(join(folders[1] ?? "", "other-tool"))).toBe(true);
    expect(existsSync(join(folders[1] ?? "", "websocat"))).toBe(false);
  });

  it("is what cliEnv gives every CLI", () => {
    // Prepare / Act
    const path = cliEnv(home).PATH ?? "";

    // Assess
    expect(path).toBe(pathWithout("websocat", process.env.PATH ?? ""));
  });
});
