import { readFileSync } from "node:fs";
import { PublishCommand } from "@aws-sdk/client-sns";
import { afterEach, describe, expect, it } from "vitest";
import { NO_RIGHTS } from "../../src/contract/index.js";
import { deliveries, subscribe } from "../support/channels.js";
import { readLog, signTestToken, type TestStack, useStack } from "../support/stack.js";
import { eventually } from "../support/wait.js";
import { Client, HandshakeRefused, isErrorFrame, sendFragmented } from "../support/ws-client.js";

const SUBSCRIBER = NO_RIGHTS; // receives broadcasts and SNS, may not broadcast
const PUBLISHER = { ...NO_RIGHTS, broadcast: true };

/** The status a refused handshake got, or "open" if it was accepted. */
async function handshake(url: string, origin?: string): Promise<number | "open"> {
  try {
    const client = await Client.connect(url, origin === undefined ? undefined : { origin });
    client.close();
    return "open";
  } catch (error) {
    if (error instanceof HandshakeRefused) return error.status;
    throw error;
  }
}

describe("tokens at $connect and rights per route, through the local stack (token mode, the default)", () => {
  const suite = useStack({ lambdaEnv: { ALLOWED_ORIGINS: "https://app.example.com" } });
  const clients: Client[] = [];
  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });

  async function connect(url: string): Promise<Client> {
    const client = await Client.connect(url);
    clients.push(client);
    return client;
  }

  it("refuses a handshake without a token with 401, without invoking the function", async () => {
    // Prepare
    const { stack } = suite;
    const before = (await stack.lambda.stats()).invocations;

    // Act
    const status = await handshake(stack.outputs.ws_url);
    const emptyStatus = await handshake(`${stack.outputs.ws_url}?token=`);

    // Assess
    expect(status).toBe(401);
    expect(emptyStatus).toBe(401);
    expect((await stack.lambda.stats()).invocations).toBe(before);
    const access = await readLog(stack.outputs.access_log_file);
    expect(access.filter((line) => line.status === "401" && line.integrationStatus === "-")).toHaveLength(2);
  });

  it.each([
    ["a token signed with another secret", () => signTestToken("another-secret-that-is-long-enough!!!", {})],
    [
      "an expired token",
      () => signTestToken(secretOf(suite.stack), { exp: Math.floor(Date.now() / 1000) - 120 }),
    ],
    ["a token that is not a JWT", () => "not-a-jwt"],
  ])("refuses %s with 401, logging why", async (_, make) => {
    // Prepare
    const { stack } = suite;
    const token = make();

    // Act
    const status = await handshake(`${stack.outputs.ws_url}?token=${token}`);

    // Assess
    expect(status).toBe(401);
    await eventually("the refusal logged", async () =>
      (await readLog(stack.outputs.lambda_log_file)).some(
        (line) => line.message === "connection refused: token not accepted",
      ),
    );
    expect(JSON.stringify(await readLog(stack.outputs.lambda_log_file))).not.toContain(token);
  });

  it("refuses a URL with two tokens with 401, whichever of them is valid", async () => {
    // Prepare: the gateway hands the authorizer the last one as the token and both beside it, as API Gateway does
    const { stack } = suite;
    const good = new URL(stack.tokenUrl()).searchParams.get("token") ?? "";

    // Act
    const badFirst = await handshake(`${stack.outputs.ws_url}?token=BAD&token=${good}`);
    const goodFirst = await handshake(`${stack.outputs.ws_url}?token=${good}&token=BAD`);
    const once = await handshake(`${stack.outputs.ws_url}?token=${good}`);

    // Assess
    expect([badFirst, goodFirst, once]).toEqual([401, 401, "open"]);
  });

  it("refuses a browser page of another origin with 403, even with a valid token", async () => {
    // Prepare
    const { stack } = suite;

    // Act
    const foreign = await handshake(stack.tokenUrl(), "https://evil.example.com");
    const listed = await handshake(stack.tokenUrl(), "https://app.example.com");

    // Assess
    expect(foreign).toBe(403);
    expect(listed).toBe("open");
  });

  it("lets a subscriber-only token receive, but refuses its broadcast with FORBIDDEN and sends it to nobody", async () => {
    // Prepare
    const { stack } = suite;
    const subscriber = await connect(stack.tokenUrl(SUBSCRIBER));
    const other = await connect(stack.tokenUrl(SUBSCRIBER));

    // Act
    subscriber.send({ action: "broadcast", message: "from a subscriber" });
    const refusal = await subscriber.next(isErrorFrame);
    await other.roundTrip();
    await subscriber.roundTrip();

    // Assess
    expect(refusal).toMatchObject({ error: { code: "FORBIDDEN" } });
    expect(other.received).toEqual([{ action: "pong" }]);
    expect(
      subscriber.received.filter((frame) => JSON.stringify(frame).includes("from a subscriber")),
    ).toEqual([]);
  });

  it("delivers a publisher token's broadcast to everyone, subscribers included", async () => {
    // Prepare
    const { stack } = suite;
    const publisher = await connect(stack.tokenUrl(PUBLISHER));
    const subscriber = await connect(stack.tokenUrl(SUBSCRIBER));

    // Act
    publisher.send({ action: "broadcast", message: "from a publisher" });

    // Assess
    await publisher.next((frame) => JSON.stringify(frame) === '{"message":"from a publisher"}');
    await subscriber.next((frame) => JSON.stringify(frame) === '{"message":"from a publisher"}');
  });

  it("caps a client's broadcast at 32 KB by default with PAYLOAD_TOO_LARGE", async () => {
    // Prepare
    const { stack } = suite;
    const publisher = await connect(stack.tokenUrl(PUBLISHER));

    const text = JSON.stringify({ action: "broadcast", message: "a".repeat(32 * 1024) });

    // Act: in two frames, as a client must send a message over the 32 KB frame limit
    const half = Math.ceil(text.length / 2);
    publisher.ws.send(text.slice(0, half), { fin: false });
    publisher.ws.send(text.slice(half), { fin: true });
    const refusal = await publisher.next(isErrorFrame);

    // Assess
    expect(refusal).toMatchObject({ error: { code: "PAYLOAD_TOO_LARGE" } });
  });

  it("caps a client's channel publish at the same 32 KB: 120 KB in 32 KB frames is PAYLOAD_TOO_LARGE, and no member gets it", async () => {
    // Prepare: a member of the channel, and a publisher whose token allows publishing anywhere
    const { stack } = suite;
    const member = await connect(stack.tokenUrl());
    await subscribe(member, "big/news");
    const publisher = await connect(stack.tokenUrl());
    const text = JSON.stringify({
      action: "publish",
      channel: "big/news",
      message: "p".repeat(120 * 1024),
      id: "big-1",
    });

    // Act: in 32 KB frames, as a client must send a message over the frame limit
    sendFragmented(publisher, text);
    const refusal = await publisher.next(isErrorFrame);
    await member.roundTrip();

    // Assess
    expect(refusal).toMatchObject({
      error: { code: "PAYLOAD_TOO_LARGE", action: "publish", channel: "big/news", id: "big-1" },
    });
    expect(publisher.received).not.toContainEqual({ action: "accepted", id: "big-1" });
    expect(deliveries(member)).toEqual([]);
  });

  it("still delivers SNS messages to every connection, whatever its token grants", async () => {
    // Prepare
    const { stack, sns } = suite;
    const subscriber = await connect(stack.tokenUrl(SUBSCRIBER));
    const publisher = await connect(stack.tokenUrl(PUBLISHER));
    const body = JSON.stringify({ from: "sns", at: Date.now() });

    // Act
    await sns.send(new PublishCommand({ TopicArn: stack.outputs.input_sns_topic_arn, Message: body }));

    // Assess
    await subscriber.next((frame) => JSON.stringify(frame) === body);
    await publisher.next((frame) => JSON.stringify(frame) === body);
  });
});

describe("open mode (npm start -- --open)", () => {
  const suite = useStack({ authMode: "open" });

  it("accepts a client without a token and lets it broadcast, and writes no token secret", async () => {
    // Prepare
    const { stack } = suite;
    const client = await Client.connect(stack.outputs.ws_url);

    // Act
    client.send({ action: "broadcast", message: "anonymous" });

    // Assess
    await client.next((frame) => JSON.stringify(frame) === '{"message":"anonymous"}');
    expect(stack.outputs.auth_mode).toBe("open");
    expect(stack.outputs.token_secret_file).toBeUndefined();
    client.close();
  });
});

/** The stack's token secret, read from its file as the CLIs read it. */
function secretOf(stack: TestStack): string {
  return readFileSync(stack.outputs.token_secret_file as string, "utf8").trim();
}
