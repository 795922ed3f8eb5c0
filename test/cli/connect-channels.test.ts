import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EPOCH } from "../support/channels.js";
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

  it("subscribes, publishes on the channel with an id, and prints subscribed, accepted, then the message", async () => {
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
        "3",
      ],
      env,
    );

    // Assess
    expect(result.code, result.stderr).toBe(0);
    const [subscribed, accepted, message] = result.stdout
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line));
    // The local stack keeps every channel's history: the channel was empty, the message is its first.
    expect(subscribed).toEqual({ action: "subscribed", channel: "cli/news", offset: 0 });
    expect(accepted).toEqual({ action: "accepted", id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(message).toEqual({
      channel: "cli/news",
      message: { n: 1 },
      id: accepted.id,
      offset: 1,
      epoch: expect.stringMatching(EPOCH),
    });
    expect(result.stderr).toMatch(/^subscribed to cli\/news$/m);
  });

  it("ends a publish from a client that is not subscribed on the acknowledgement (--count 1)", async () => {
    // Act
    const result = await runCliToEnd(
      "connect",
      [
        "--url",
        suite.stack.tokenUrl(),
        "--publish",
        "news/eu",
        '{"n":1}',
        "--count",
        "1",
        "--timeout",
        "20s",
      ],
      env,
    );

    // Assess
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ action: "accepted", id: expect.any(String) });
  });

  it("gives up after --timeout when fewer than --count frames came: the count it got, exit 1", async () => {
    // Act: subscribed is the only frame that will come
    const started = Date.now();
    const result = await runCliToEnd(
      "connect",
      ["--url", suite.stack.tokenUrl(), "--subscribe", "cli/quiet", "--count", "2", "--timeout", "1s"],
      env,
    );

    // Assess
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toBe('{"action":"subscribed","channel":"cli/quiet","offset":0}\n');
    expect(result.stderr).toMatch(/^timed out after 1 s: received 1 of 2 frames$/m);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it("ends a listening session after --timeout without --count normally (exit 0)", async () => {
    // Act
    const result = await runCliToEnd("connect", ["--url", suite.stack.tokenUrl(), "--timeout", "500ms"], env);

    // Assess
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/^closed \(1000\)$/m);
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
