/**
 * What the steps of `util/verify` share: the stack under test, the run's context, and the checks a step makes on
 * the run's two clients (a frame that must come, one that must not).
 */
import { randomBytes } from "node:crypto";
import { formatDuration } from "../lib/timeout.js";
import { urlWithToken } from "../lib/token.js";
import { HandshakeRefusedError, ProbeSocket } from "./probe-socket.js";
import { StepFailure, type StepOutcome } from "./runner.js";

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
  /** Where B's publish stood in the channel's history, as A received it; undefined when the channel keeps none. */
  position?: { epoch: string; offset: number };
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

export const passed = (detail: string): StepOutcome => ({ passed: detail });
export const skipped = (reason: string): StepOutcome => ({ skipped: reason });

/** An error for a step's line: an AWS error with its name (AccessDenied: …), one of ours as its message. */
export function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.name === "Error" || error.name === "CliError"
    ? error.message
    : `${error.name}: ${error.message}`;
}

/** Milliseconds left until `deadline`, at least 1. */
export const left = (deadline: number) => Math.max(1, deadline - Date.now());

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

/**
 * A channel delivery of `envelope` (`{channel, message, id}`), with the position (`offset`, `epoch`) it carries on a
 * channel that keeps history: exactly those fields.
 */
export function isDelivery(frame: unknown, envelope: Record<string, unknown>): boolean {
  const { offset, epoch, ...rest } = (typeof frame === "object" && frame !== null ? frame : {}) as Record<
    string,
    unknown
  >;
  const positioned =
    offset === undefined ? epoch === undefined : Number.isInteger(offset) && typeof epoch === "string";
  return positioned && isFrame(rest, envelope);
}

/** The acknowledgement of a subscribe to `channel` (with the history's head and `recovered` when it has them). */
export const subscribedTo =
  (channel: string) =>
  (frame: unknown): boolean =>
    typeof frame === "object" &&
    frame !== null &&
    (frame as { action?: unknown }).action === "subscribed" &&
    (frame as { channel?: unknown }).channel === channel;

/** Opens a client with the run's token; a refusal or a network error becomes a failure that says what to check. */
export async function openClient(
  context: VerifyContext,
  who: string,
  deadline: number,
): Promise<ProbeSocket> {
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
export interface Party {
  socket: ProbeSocket;
  who: "A" | "B" | "C";
  /** The index of its first frame that this step looks at. */
  from: number;
}

/** What a frame must be: exactly these fields, or a test of the frame and its text. */
export type Expected = Record<string, unknown> | ((frame: unknown, text: string) => boolean);

const matcher = (expected: Expected) =>
  typeof expected === "function" ? expected : (frame: unknown) => isFrame(frame, expected);

/** The run's clients as the step that starts now sees them, or a failure if they are not connected. */
export function parties(context: VerifyContext): { a: Party; b: Party } {
  if (!context.a || !context.b) throw new StepFailure("the clients are not connected");
  return {
    a: { socket: context.a, who: "A", from: context.a.frames.length },
    b: { socket: context.b, who: "B", from: context.b.frames.length },
  };
}

/** Waits until `party` receives the expected frame; a miss is a failure that points at the logs. */
export async function expectFrame(
  context: VerifyContext,
  party: Party,
  expected: Expected,
  what: string,
  deadline: number,
): Promise<unknown> {
  try {
    return await party.socket.waitFor(matcher(expected), deadline, what, party.from);
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
 * for {@link SILENCE_MS}. Returns how long A's copy took from `sent`, and that copy.
 */
export async function reachesOnlyA(
  context: VerifyContext,
  { a, b }: { a: Party; b: Party },
  envelope: Record<string, unknown>,
  what: string,
  sent: number,
  deadline: number,
): Promise<{ took: string; frame: unknown }> {
  const delivered = (frame: unknown) => isDelivery(frame, envelope);
  const frame = await expectFrame(context, a, delivered, what, deadline);
  const took = formatDuration(Date.now() - sent);
  await expectNothing(context, b, delivered, what);
  return { took, frame };
}
