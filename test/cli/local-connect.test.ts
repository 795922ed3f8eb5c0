import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { freePort, lines, useCliStack } from "./support/local-stack.js";
import { runCliToEnd } from "./support/run.js";
import { hasTerraform, writeState, writeTerraformOutputsFile } from "./support/terraform.js";

const local = useCliStack();
const { listener } = local;

describe("util/connect --local", () => {
  it("sends stdin lines as frames and prints what every client receives; EOF closes with 1000", async () => {
    // Prepare: two clients
    const first = await listener();
    const second = await listener();

    // Act: the first client broadcasts by typing a line, then ends its input
    first.child.stdin.write('{"action":"broadcast","message":{"from":"stdin"}}\n');
    const secondLines = await lines(second, 1);
    const firstLines = await lines(first, 1);
    first.child.stdin.end();
    const firstResult = await first.done;

    // Assess
    expect(firstLines).toEqual(['{"message":{"from":"stdin"}}']);
    expect(secondLines).toEqual(['{"message":{"from":"stdin"}}']);
    expect(firstResult.code).toBe(0);
    expect(firstResult.stderr).toMatch(/^closed \(1000\)$/m);
  });

  it("Ctrl-C (SIGINT) closes with 1000 and exits 0", async () => {
    // Prepare
    const client = await listener();

    // Act
    client.child.kill("SIGINT");
    const result = await client.done;

    // Assess
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^closed \(1000\)$/m);
  });

  it("runs the shortcuts in order and exits after --count frames", async () => {
    // Prepare
    const { env } = local;
    const watcher = await listener();

    // Act
    const result = await runCliToEnd(
      "connect",
      ["--local", "--ping", "--broadcast", "42", "--count", "2"],
      env,
    );

    // Assess
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('{"action":"pong"}\n{"message":42}\n');
    expect(await lines(watcher, 1)).toEqual(['{"message":42}']);
  });

  it("with --count, waits for the answer after the end of piped input", async () => {
    // Prepare
    const { env } = local;

    const result = await runCliToEnd("connect", ["--local", "--count", "1"], env, '{"action":"ping"}\n');

    // Assess
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('{"action":"pong"}\n');
  });

  it("sends a line over 32 KB as a fragmented message, and refuses one over 128 KB without closing", async () => {
    // Prepare
    const { env } = local;
    const watcher = await listener();
    const big = JSON.stringify({ action: "broadcast", message: "x".repeat(40_000) });
    const huge = JSON.stringify({ action: "broadcast", message: "x".repeat(140_000) });

    // Act
    const input = `${huge}\n${big}\n`;
    const result = await runCliToEnd("connect", ["--local", "--count", "1"], env, input);

    // Assess
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(
      /^not sent: 140\d{3} bytes, over the 131072-byte \(128 KB\) message limit$/m,
    );
    expect(result.stdout).toBe(`${JSON.stringify({ message: "x".repeat(40_000) })}\n`);
    expect((await lines(watcher, 1))[0]?.length).toBe(40_000 + '{"message":""}'.length);
  });

  it("says when nothing listens at the stack's URL", async () => {
    // Prepare
    const { env } = local;
    const port = await freePort();

    // Act
    const result = await runCliToEnd("connect", ["--local", "--url", `ws://127.0.0.1:${port}/local`], env);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(
        `^connect: cannot connect to ws://127\\.0\\.0\\.1:${port}/local: .*ECONNREFUSED.*: is \`npm start\` still running\\?$`,
        "m",
      ),
    );
  });

  it(`finds the stack with ${hasTerraform ? "a real terraform output -json" : "an outputs file (no terraform on PATH)"}`, async () => {
    // Prepare: a stack folder whose state points at the local stack's URL, and says it needs tokens
    const { stack, env, dir } = local;
    const stackDir = join(dir, "cdktf.out/stacks/fanout");
    const outputs = {
      ws_url: stack.outputs.ws_url,
      auth_mode: "token",
      token_secret_file: stack.outputs.token_secret_file as string,
    };
    writeState(stackDir, outputs);
    writeTerraformOutputsFile(join(dir, "terraform-outputs.json"), outputs);
    const source = hasTerraform
      ? ["--stack-dir", stackDir]
      : ["--outputs", join(dir, "terraform-outputs.json")];

    // Act
    const result = await runCliToEnd("connect", [...source, "--ping", "--count", "1"], env);

    // Assess
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('{"action":"pong"}\n');
  });

  it("uses websocat when it is on PATH, as the seed: websocat <ws_url> (with a minted ?token=)", async () => {
    // Prepare: a stand-in websocat that records its arguments
    const { stack, env, dir } = local;
    const bin = join(dir, "bin");
    const record = join(dir, "websocat-args");
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, "websocat"), `#!/bin/sh\nprintf '%s\\n' "$@" > '${record}'\nexit 3\n`, {
      mode: 0o755,
    });
    const pathEnv = { PATH: `${bin}:${env.PATH}` };

    // Act
    const withWebsocat = await runCliToEnd("connect", ["--local"], { ...env, ...pathEnv });
    const builtin = await runCliToEnd(
      "connect",
      ["--local", "--builtin", "--count", "1"],
      { ...env, ...pathEnv },
      '{"action":"ping"}\n',
    );

    // Assess: websocat got the URL with a token, and its exit status is passed on; --builtin does not use it
    const [url, ...rest] = readFileSync(record, "utf8").split("\n");
    expect(url?.startsWith(`${stack.outputs.ws_url}?token=`)).toBe(true);
    expect(url?.split("token=")[1]).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(rest).toEqual([""]);
    expect(withWebsocat.code).toBe(3);
    expect(builtin.code).toBe(0);
    expect(builtin.stdout).toBe('{"action":"pong"}\n');
  });
});
