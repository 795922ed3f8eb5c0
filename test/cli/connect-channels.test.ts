import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useStack } from "../support/stack.js";
import { cliEnv, runCliToEnd, tempDir } from "./support/run.js";

// util/connect's channel shortcuts against the real local stack (needs chan: channel actions in the route table).
describe("util/connect --subscribe / --publish against the local stack (needs chan)", () => {
  const suite = useStack();
  let home: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(() => {
    home = tempDir();
    env = cliEnv(home);
  });

  afterAll(() => {
    rmSync(home, { recursive: true, force: true });
  });

  it("subscribes, publishes on the channel, and prints the acknowledgement then the message", async () => {
    // Prepare
    const { stack } = suite;

    // Act
    const result = await runCliToEnd(
      "connect",
      [
        "--url",
        stack.tokenUrl(),
        "--subscribe",
        "cli/news",
        "--publish",
        "cli/news",
        '{"n":1}',
        "--count",
        "2",
      ],
      env,
    );

    // Assess
    expect(result.code, result.stderr).toBe(0);
    const [ack, message] = result.stdout
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(ack).toEqual({ action: "subscribed", channel: "cli/news" });
    expect(message).toMatchObject({ channel: "cli/news", message: { n: 1 } });
    expect(typeof message.id).toBe("string");
    expect(result.stderr).toMatch(/^subscribed to cli\/news$/m);
  });

  it("reports a channel name the service refuses (INVALID_CHANNEL) on stderr and carries on", async () => {
    // Prepare
    const { stack } = suite;

    // Act
    const result = await runCliToEnd(
      "connect",
      ["--url", stack.tokenUrl(), "--subscribe", "bad//name", "--ping", "--count", "2"],
      env,
    );

    // Assess
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/^subscribe bad\/\/name refused: INVALID_CHANNEL: /m);
    expect(result.stdout.trimEnd().split("\n").at(-1)).toBe('{"action":"pong"}');
  });
});
