/**
 * The steps of `util/verify`, in the order they run: each proves one promise of the service end to end, through
 * the stack's real WebSocket URL, topic and bucket, with two clients of its own (A and B) and a channel of its own.
 * Everything it sends carries this run's id, so its frames are easy to tell from anyone else's.
 */
import {
  channelMembersPrefix,
  connectionChannelsPrefix,
  connectionKey,
  decodeKeySegment,
  flatKey,
} from "../../src/contract/index.js";
import { formatDuration } from "../lib/timeout.js";
import { urlWithToken } from "../lib/token.js";
import {
  describe,
  expectFrame,
  left,
  openClient,
  parties,
  passed,
  reachesOnlyA,
  SILENCE_MS,
  skipped,
  subscribedTo,
  type VerifyContext,
} from "./context.js";
import { HISTORY_STEP } from "./history-step.js";
import { HandshakeRefusedError, ProbeSocket } from "./probe-socket.js";
import { type Step, StepFailure, type StepOutcome } from "./runner.js";

/** The steps, in order. */
export const VERIFY_STEPS: readonly Step<VerifyContext>[] = [
  {
    name: "token",
    needs: [],
    async run(context) {
      if (context.target.open)
        return skipped("the stack is open (auth_mode open): clients connect without a token");
      let minted: { token: string; source: string };
      try {
        minted = await context.target.token();
      } catch (error) {
        throw new StepFailure(
          (error as Error).message,
          "pass a token with --token, or the secret with $FANOUT_TOKEN_SECRET",
        );
      }
      context.token = minted.token;
      return passed(minted.source);
    },
  },
  {
    name: "connect",
    needs: [],
    async run(context, deadline) {
      if (!context.target.open && context.token === undefined)
        throw new StepFailure("no token to connect with");
      context.a = await openClient(context, "A", deadline);
      context.b = await openClient(context, "B", deadline);
      return passed("clients A and B connected");
    },
  },
  {
    name: "ping",
    needs: ["connect"],
    async run(context, deadline) {
      const { a } = parties(context);
      a.socket.send({ action: "ping" });
      await expectFrame(context, a, { action: "pong" }, "pong", deadline);
      return passed('A sent {"action":"ping"} and got {"action":"pong"}');
    },
  },
  {
    name: "refused",
    needs: ["connect"],
    async run(context, deadline) {
      if (context.target.open)
        return skipped("the stack is open (auth_mode open): every connection is accepted");
      await expectRefused(context, context.target.wsUrl, "without a token", deadline);
      // The run's own valid token, twice: the authorizer takes no pick between two tokens (docs/security.md).
      const token = context.token ?? "";
      const twice = `${urlWithToken(context.target.wsUrl, token)}&token=${encodeURIComponent(token)}`;
      await expectRefused(context, twice, "with its token twice", deadline);
      return passed(
        "a connection without a token, and one with a valid token twice, were refused with HTTP 401",
      );
    },
  },
  {
    name: "broadcast",
    needs: ["connect"],
    async run(context, deadline) {
      if (context.target.channelsOnly) return skipped("--channels-only: nothing is sent to every client");
      const { a, b } = parties(context);
      const id = `${context.run}-broadcast`;
      const message = { fanoutVerify: context.run, step: "broadcast" };
      a.socket.send({ action: "broadcast", message, id });
      await expectFrame(context, a, { action: "accepted", id }, "accepted", deadline);
      await expectFrame(context, b, { message, id }, "broadcast", deadline);
      await expectFrame(context, a, { message, id }, "copy of its own broadcast", deadline);
      return passed("A's broadcast (with an id) was accepted and reached A and B");
    },
  },
  {
    name: "channel",
    needs: ["connect"],
    async run(context, deadline) {
      const both = parties(context);
      const { a, b } = both;
      const { channel, channelOfB } = context;
      a.socket.send({ action: "subscribe", channel });
      b.socket.send({ action: "subscribe", channel: channelOfB });
      await expectFrame(context, a, subscribedTo(channel), `subscribed to ${channel}`, deadline);
      await expectFrame(context, b, subscribedTo(channelOfB), `subscribed to ${channelOfB}`, deadline);
      context.subscribed = true;

      const id = `${context.run}-publish`;
      const message = { fanoutVerify: context.run, step: "channel" };
      const sent = Date.now();
      b.socket.send({ action: "publish", channel, message, id });
      await expectFrame(context, b, { action: "accepted", id }, "accepted", deadline);
      const { took, frame } = await reachesOnlyA(
        context,
        both,
        { channel, message, id },
        `the publish on ${channel}`,
        sent,
        deadline,
      );
      // On a channel that keeps history the frame carried its position: the history step starts from it.
      const { offset, epoch } = frame as { offset?: number; epoch?: string };
      if (offset !== undefined && epoch !== undefined) context.position = { epoch, offset };
      return passed(
        `B's publish on ${channel} reached A, its subscriber, in ${took}; B (not subscribed) got only its ` +
          `acknowledgement in ${formatDuration(SILENCE_MS)}`,
      );
    },
  },
  HISTORY_STEP,
  {
    name: "sns",
    needs: ["connect"],
    async run(context, deadline) {
      if (context.target.channelsOnly) return skipped("--channels-only: nothing is sent to every client");
      const { a, b } = parties(context);
      const text = JSON.stringify({ fanoutVerify: context.run, step: "sns" });
      const messageId = await publish(context, text, undefined, deadline);
      const exact = (_frame: unknown, frame: string) => frame === text;
      await expectFrame(context, a, exact, `SNS message ${messageId}`, deadline);
      await expectFrame(context, b, exact, `SNS message ${messageId}`, deadline);
      return passed("an SNS message to everyone reached A and B, byte for byte");
    },
  },
  {
    name: "sns-channel",
    needs: ["channel"],
    async run(context, deadline) {
      const both = parties(context);
      const { channel } = context;
      const message = { fanoutVerify: context.run, step: "sns-channel" };
      const sent = Date.now();
      const id = await publish(context, JSON.stringify(message), channel, deadline);
      const { took } = await reachesOnlyA(
        context,
        both,
        { channel, message, id },
        `SNS message ${id} on ${channel}`,
        sent,
        deadline,
      );
      return passed(
        `an SNS message on ${channel} reached A in ${took}; B (not subscribed) got nothing in ${formatDuration(SILENCE_MS)}`,
      );
    },
  },
  {
    name: "cleanup",
    needs: [],
    async run(context, deadline) {
      return cleanUp(context, deadline);
    },
  },
];

/** Publishes through SNS; a refusal is a failure that names the topic's side. */
async function publish(
  context: VerifyContext,
  text: string,
  channel: string | undefined,
  deadline: number,
): Promise<string> {
  try {
    return await context.target.publish(text, channel, AbortSignal.timeout(left(deadline)));
  } catch (error) {
    throw new StepFailure(
      `the SNS publish failed: ${describe(error)}`,
      "your AWS credentials (sns:Publish on input_sns_topic_arn)",
    );
  }
}

/**
 * Reads A's and B's connection ids from their membership keys (the protocol never tells a client its own id), closes
 * both, and waits until `$disconnect` has removed every key of theirs: connection keys (either layout), the
 * reverse index and the members of the run's channels.
 */
async function cleanUp(context: VerifyContext, deadline: number): Promise<StepOutcome> {
  const { target } = context;
  const list = (prefix: string) =>
    target.listKeys(prefix, AbortSignal.timeout(left(deadline))).catch((error: Error) => {
      throw new StepFailure(
        `cannot list the connection bucket under ${prefix}: ${describe(error)}`,
        "your AWS credentials (s3:ListBucket on connection_bucket)",
      );
    });
  const memberPrefixes = [channelMembersPrefix(context.channel), channelMembersPrefix(context.channelOfB)];
  let ids: string[] = [];
  try {
    if (context.subscribed) {
      const members = (await Promise.all(memberPrefixes.map(list))).flat();
      ids = members.map((key) => decodeKeySegment(key.slice(key.lastIndexOf("/") + 1)) ?? key);
    }
  } finally {
    await Promise.all([context.a?.close(), context.b?.close()]);
  }
  if (!context.subscribed)
    return skipped(
      "closed the clients; the keys are not checked: no client subscribed, so their ids are unknown",
    );
  if (ids.length !== 2) {
    throw new StepFailure(
      `expected one member key in each of the run's two channels, found ${ids.length}`,
      `the bucket under ${memberPrefixes.join(" and ")}`,
    );
  }
  const prefixes = [...memberPrefixes, ...ids.flatMap((id) => [connectionChannelsPrefix(id)])];
  const exactKeys = ids.flatMap((id) => [
    connectionKey(target.connectionPrefix, id),
    flatKey(target.connectionPrefix, id),
  ]);
  for (;;) {
    const found = [
      ...(await Promise.all(prefixes.map(list))).flat(),
      ...(await Promise.all(exactKeys.map(async (key) => (await list(key)).filter((k) => k === key)))).flat(),
    ];
    if (found.length === 0) {
      return passed(
        `A and B closed; none of their keys is left in the bucket (${prefixes.length + exactKeys.length} places checked)`,
      );
    }
    if (Date.now() + 250 > deadline) {
      throw new StepFailure(
        `A and B closed, but ${found.length} of their keys are still in the bucket: ${found.join(", ")}`,
        `${target.logsHint} ($disconnect of the two connections)`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Fails the step unless a handshake to `url` is refused with 401. */
async function expectRefused(
  context: VerifyContext,
  url: string,
  what: string,
  deadline: number,
): Promise<void> {
  let socket: ProbeSocket;
  try {
    socket = await ProbeSocket.open(url, left(deadline));
  } catch (error) {
    if (error instanceof HandshakeRefusedError && error.status === 401) return;
    throw new StepFailure(
      `a connection ${what} should get HTTP 401, got: ${(error as Error).message}`,
      context.target.logsHint,
    );
  }
  await socket.close();
  throw new StepFailure(
    `a connection ${what} was accepted: ${what === "without a token" ? "anyone with the URL can connect" : "the authorizer chose one of two tokens"}`,
    "the auth_mode variable and the authorizer on the $connect route",
  );
}
