/**
 * The `history` step of `util/verify` (docs/channels.md#history): on a channel that keeps history, a client that
 * comes back with the last position it saw gets every message it missed, in order, before `subscribed`, which says
 * the recovery was complete; and a history request returns the newest messages. It runs after the channel step,
 * from the position of B's publish there, with a third client, C, that leaves the channel before it closes (so that
 * the cleanup step still finds one member in each of the run's channels).
 */
import {
  expectFrame,
  isDelivery,
  openClient,
  type Party,
  parties,
  passed,
  skipped,
  subscribedTo,
  type VerifyContext,
} from "./context.js";
import { type Step, StepFailure } from "./runner.js";

/** Messages B publishes while C is away. */
const MISSED = 2;

/** The step. */
export const HISTORY_STEP: Step<VerifyContext> = {
  name: "history",
  needs: ["channel"],
  async run(context, deadline) {
    const { channel, position } = context;
    if (position === undefined) {
      return skipped(
        `the stack keeps no history of ${channel}: its frames carry no position (history_retention_days is 0, or history_channels does not match it)`,
      );
    }
    const { b } = parties(context);
    const missed = Array.from({ length: MISSED }, (_, n) => ({
      channel,
      message: { fanoutVerify: context.run, step: "history", n },
      id: `${context.run}-history-${n}`,
    }));
    for (const { channel: c, message, id } of missed) {
      b.socket.send({ action: "publish", channel: c, message, id });
      await expectFrame(context, b, { action: "accepted", id }, "accepted", deadline);
    }
    const socket = await openClient(context, "C", deadline);
    try {
      const c: Party = { socket, who: "C", from: 0 };
      socket.send({ action: "subscribe", channel, since: position });
      const ack = (await expectFrame(context, c, subscribedTo(channel), "subscribed", deadline)) as {
        recovered?: unknown;
      };
      const before = socket.frames.slice(
        0,
        socket.frames.findIndex((text) => text.includes('"subscribed"')),
      );
      const recovered = before.map((text) => parse(text) as { offset?: number } | undefined);
      const inOrder =
        recovered.length === MISSED &&
        missed.every(
          (envelope, n) =>
            isDelivery(recovered[n], envelope) && recovered[n]?.offset === position.offset + n + 1,
        );
      if (ack.recovered !== true || !inOrder) {
        throw new StepFailure(
          `client C came back from offset ${position.offset} and should get the ${MISSED} messages it missed, in order, then subscribed with "recovered":true; got ${JSON.stringify([...before, JSON.stringify(ack)])}`,
          context.target.logsHint,
        );
      }
      socket.send({ action: "history", channel, limit: MISSED + 1 });
      const history = (await expectFrame(
        context,
        c,
        (f) => (f as { action?: unknown }).action === "history",
        "the history",
        deadline,
      )) as { messages?: unknown[] };
      const ids = (history.messages ?? []).map((m) => (m as { id?: unknown }).id);
      if (ids.length !== MISSED + 1 || ids.slice(1).join() !== missed.map((m) => m.id).join()) {
        throw new StepFailure(
          `a history request for the ${MISSED + 1} newest messages of ${channel} returned ${JSON.stringify(ids)}`,
          context.target.logsHint,
        );
      }
      socket.send({ action: "unsubscribe", channel });
      await expectFrame(context, c, { action: "unsubscribed", channel }, "unsubscribed", deadline);
    } finally {
      await socket.close();
    }
    return passed(
      `C came back from offset ${position.offset} with since: the ${MISSED} messages it missed came in order, then ` +
        `subscribed with "recovered":true; a history request returned the ${MISSED + 1} newest`,
    );
  },
};

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
