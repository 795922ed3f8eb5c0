/**
 * The steps of `util/verify`, in the order they run: each proves one promise of the service end to end, through
 * the stack's real WebSocket URL, topic and bucket, with two clients of its own (A and B) and a channel of its own.
 * Everything it sends carries this run's id, so its frames are easy to tell from anyone else's.
 */
import { randomBytes } from "node:crypto";
import { connectionKey, flatKey } from "../../src/connections.js";
import {
  channelMembersPrefix,
  connectionChannelsPrefix,
  decodeKeySegment,
} from "../../src/membership-keys.js";
import { formatDuration } from "../lib/timeout.js";
import { urlWithToken } from "../lib/token.js";
import { HandshakeRefusedError, ProbeSocket } from "./probe-socket.js";
import { type Step, StepFailure, type StepOutcome } from "./runner.js";

/** The stack under test, as the steps need it (the CLI builds it from the stack's outputs). */
export interface VerifyTarget {
  /** The WebSocket URL (`ws_url`). */
  wsUrl: string;
  /** The stack lets anyone connect (`auth_mode` open): no token, and nothing to refuse. */
  open: boolean;
  /** A token for the clients (every right) and where it came from, for the step's line. */
  token(): Promise<{ token: string; source: string }>;
  /**
   * Publishes a JSON text to the input topic, to one channel's subscribers when `channel` is given.
   * @returns SNS's MessageId
   */
  publish(message: string, channel: string | undefined, signal: AbortSignal): Promise<string>;
  /** The keys of the connection bucket under a prefix. */
  listKeys(prefix: string, signal: AbortSignal): Promise<string[]>;
  /** The connection store's key prefix (`connection_prefix`). */
  connectionPrefix: string;
  /** The command that shows the Lambda's log and the access log of this run, for hints. */
  logsHint: string;
  /** Leave out the two steps that reach every connected client (a broadcast, SNS to everyone). */
  channelsOnly: boolean;
}

/** What the steps share as they run. */
export interface VerifyContext {
  target: VerifyTarget;
  /** This run's id: in every message, channel and token subject. */
  run: string;
  /** The channel A subscribes to (and B publishes to without being a member). */
  channel: string;
  /** The channel B subscribes to, so that its connection id can be read from the bucket. */
  channelOfB: string;
  token?: string;
  a?: ProbeSocket;
  b?: ProbeSocket;
  /** Whether A and B are subscribed (their membership keys exist). */
  subscribed: boolean;
}

/** How long a client that must receive nothing is watched after the others received their copy. */
export const SILENCE_MS = 1000;

/**
 * A fresh context for one run.
 * @param target - the stack
 */
export function newContext(target: VerifyTarget): VerifyContext {
  const run = `v${randomBytes(4).toString("hex")}`;
  return {
    target,
    run,
    channel: `fanout-verify/${run}/a`,
    channelOfB: `fanout-verify/${run}/b`,
    subscribed: false,
  };
}

const passed = (detail: string): StepOutcome => ({ passed: detail });
const skipped = (reason: string): StepOutcome => ({ skipped: reason });

/** An error for a step's line: an AWS error with its name (AccessDenied: …), one of ours as its message. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.name === "Error" || error.name === "CliError"
    ? error.message
    : `${error.name}: ${error.message}`;
}

/** Milliseconds left until `deadline`, at least 1. */
const left = (deadline: number) => Math.max(1, deadline - Date.now());

/** Whether a parsed frame has exactly these fields and values (key order aside). */
function isFrame(frame: unknown, expected: Record<string, unknown>): boolean {
  if (typeof frame !== "object" || frame === null) return false;
  const keys = Object.keys(frame);
  return (
    keys.length === Object.keys(expected).length &&
    keys.every(
      (key) => JSON.stringify((frame as Record<string, unknown>)[key]) === JSON.stringify(expected[key]),
    )
  );
}

/** Opens a client with the run's token; a refusal or a network error becomes a failure that says what to check. */
async function openClient(context: VerifyContext, who: string, deadline: number): Promise<ProbeSocket> {
  const { target } = context;
  const url = context.token === undefined ? target.wsUrl : urlWithToken(target.wsUrl, context.token);
  try {
    return await ProbeSocket.open(url, left(deadline));
  } catch (error) {
    if (error instanceof HandshakeRefusedError) {
      const why =
        error.status === 401 || error.status === 403
          ? "the stack refused the token: is the secret the stack's own? (an external issuer's stack needs --token)"
          : error.status >= 500
            ? "the $connect authorizer or handler failed"
            : "the URL may be wrong";
      throw new StepFailure(`client ${who}: ${error.message}: ${why}`, target.logsHint);
    }
    throw new StepFailure(
      `client ${who} cannot connect to ${target.wsUrl}: ${(error as Error).message}`,
      "is the ws_url output right, and is the stack running (npm start for --local)?",
    );
  }
}

/** Either of the run's clients, as a step sees it: what it is called, and what it had received when the step began. */
interface Party {
  socket: ProbeSocket;
  who: "A" | "B";
  /** The index of its first frame that this step looks at. */
  from: number;
}

/** What a frame must be: exactly these fields, or a test of the frame and its text. */
type Expected = Record<string, unknown> | ((frame: unknown, text: string) => boolean);

const matcher = (expected: Expected) =>
  typeof expected === "function" ? expected : (frame: unknown) => isFrame(frame, expected);

/** The run's clients as the step that starts now sees them, or a failure if they are not connected. */
function parties(context: VerifyContext): { a: Party; b: Party } {
  if (!context.a || !context.b) throw new StepFailure("the clients are not connected");
  return {
    a: { socket: context.a, who: "A", from: context.a.frames.length },
    b: { socket: context.b, who: "B", from: context.b.frames.length },
  };
}

/** Waits until `party` receives the expected frame; a miss is a failure that points at the logs. */
async function expectFrame(
  context: VerifyContext,
  party: Party,
  expected: Expected,
  what: string,
  deadline: number,
): Promise<void> {
  try {
    await party.socket.waitFor(matcher(expected), deadline, what, party.from);
  } catch (error) {
    throw new StepFailure(`client ${party.who}: ${(error as Error).message}`, context.target.logsHint);
  }
}

/** Fails if `party` receives the frame within {@link SILENCE_MS}. */
async function expectNothing(context: VerifyContext, party: Party, expected: Expected, what: string) {
  const seen = await party.socket.waitFor(matcher(expected), Date.now() + SILENCE_MS, what, party.from).then(
    (frame) => frame,
    () => undefined,
  );
  if (seen !== undefined) {
    throw new StepFailure(
      `client ${party.who} received ${what} although it should not: ${JSON.stringify(seen)}`,
      context.target.logsHint,
    );
  }
}

/**
 * A channel's delivery: A, the subscriber, receives `envelope`, and B, which is not subscribed, then gets nothing
 * for {@link SILENCE_MS}. Returns how long A's copy took from `sent`.
 */
async function reachesOnlyA(
  context: VerifyContext,
  { a, b }: { a: Party; b: Party },
  envelope: Record<string, unknown>,
  what: string,
  sent: number,
  deadline: number,
): Promise<string> {
  await expectFrame(context, a, envelope, what, deadline);
  const took = formatDuration(Date.now() - sent);
  await expectNothing(context, b, envelope, what);
  return took;
}

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
      let socket: ProbeSocket;
      try {
        socket = await ProbeSocket.open(context.target.wsUrl, left(deadline));
      } catch (error) {
        if (error instanceof HandshakeRefusedError && error.status === 401) {
          return passed("a connection without a token was refused with HTTP 401");
        }
        throw new StepFailure(
          `a connection without a token should get HTTP 401, got: ${(error as Error).message}`,
          context.target.logsHint,
        );
      }
      await socket.close();
      throw new StepFailure(
        "a connection without a token was accepted: anyone with the URL can connect",
        "the auth_mode variable and the authorizer on the $connect route",
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
      await expectFrame(context, a, { action: "subscribed", channel }, `subscribed to ${channel}`, deadline);
      await expectFrame(
        context,
        b,
        { action: "subscribed", channel: channelOfB },
        `subscribed to ${channelOfB}`,
        deadline,
      );
      context.subscribed = true;

      const id = `${context.run}-publish`;
      const message = { fanoutVerify: context.run, step: "channel" };
      const sent = Date.now();
      b.socket.send({ action: "publish", channel, message, id });
      await expectFrame(context, b, { action: "accepted", id }, "accepted", deadline);
      const took = await reachesOnlyA(
        context,
        both,
        { channel, message, id },
        `the publish on ${channel}`,
        sent,
        deadline,
      );
      return passed(
        `B's publish on ${channel} reached A, its subscriber, in ${took}; B (not subscribed) got only its ` +
          `acknowledgement in ${formatDuration(SILENCE_MS)}`,
      );
    },
  },
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
      const took = await reachesOnlyA(
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
