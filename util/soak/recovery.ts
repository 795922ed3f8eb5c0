/**
 * The soak's recovery phase (docs/channels.md#history): K client-library clients subscribed to one channel that
 * keeps history, a publisher sending R messages a second to it for S seconds, and meanwhile, every half second, one
 * client dropped from the server side (@connections DELETE) or renewed (`reconnect()`: a second connection first).
 * The library resubscribes from the last position it delivered, fills every gap from the history, and says when it
 * could not: the phase counts, per client, what was owed and what was delivered, and whether in position order.
 * `test/e2e/recovery.test.ts` runs it with the numbers and asserts the figures.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { S3Client } from "@aws-sdk/client-s3";
import { type ChannelMessage, createClient, type FanoutClient } from "@fanout/client";
import WebSocket from "ws";
import { clientRequest, type LocalStackOutputs } from "../../src/contract/index.js";
import { listConnectionIds } from "../lib/s3-keys.js";

/** What the phase does. */
export interface RecoveryPlan {
  /** Library clients subscribed to the channel. */
  clients: number;
  /** Messages published a second. */
  ratePerSec: number;
  /** How long the publisher publishes. */
  seconds: number;
  /** A fresh token before every connection (token mode); none in open mode. */
  token?: () => string;
}

/** What the phase measured; exact counts. */
export interface RecoveryFigures {
  clients: number;
  /** Messages the service accepted (each one `accepted`). */
  published: number;
  /** clients x published. */
  expected: number;
  /** (client, message) pairs delivered at least once. */
  delivered: number;
  misses: number;
  /** Deliveries beyond the first of a (client, message) pair. */
  duplicates: number;
  /** Deliveries whose offset was not the one after the previous delivery's. */
  outOfOrder: number;
  /** Positions at which two clients delivered different messages. */
  disagreements: number;
  /** Recoveries the library reported: complete, and incomplete (lost messages, reported). */
  recoveries: { complete: number; incomplete: number };
  drops: number;
  renewals: number;
  /** From the first publish to the last acknowledgement, and to the last delivery, ms. */
  publishedInMs: number;
  drainedInMs: number;
}

/** One client dropped or renewed this often. */
const CHAOS_EVERY_MS = 500;
/** Publishes sent and not yet acknowledged, at most: a slow stack makes the publisher late, not its queue long. */
const IN_FLIGHT = 8;
/** After the last publish, how long the clients may take to deliver everything. */
const DRAIN_MS = 120_000;
/** How long an acknowledgement may take before the publisher gives up. */
const ACK_MS = 60_000;
const CHANNEL = "soak/recovery";

interface Subscriber {
  client: FanoutClient;
  messages: ChannelMessage[];
  complete: number;
  incomplete: number;
}

/**
 * Runs the phase against a running stack and closes everything it opened.
 * @param stack - the stack's outputs and an S3 client on its emulator (to find connection ids to drop)
 * @param plan - see {@link RecoveryPlan}
 * @param progress - where a line goes now and then
 */
export async function soakRecovery(
  stack: { outputs: LocalStackOutputs; s3: S3Client },
  plan: RecoveryPlan,
  progress: (line: string) => void,
): Promise<RecoveryFigures> {
  const { outputs } = stack;
  const url = (token?: string) => (token === undefined ? outputs.ws_url : `${outputs.ws_url}?token=${token}`);
  const before = await connectionIds(stack);
  const publisher = await openPublisher(url(plan.token?.()));
  const publisherIds = (await connectionIds(stack)).filter((id) => !before.includes(id));
  const subscribers: Subscriber[] = [];
  try {
    while (subscribers.length < plan.clients) {
      const fresh = Array.from({ length: Math.min(50, plan.clients - subscribers.length) }, () => {
        const client = createClient({ url: outputs.ws_url, token: plan.token });
        const subscriber: Subscriber = { client, messages: [], complete: 0, incomplete: 0 };
        client.on("message", (m) => subscriber.messages.push(m));
        client.on("recovery", (r) => (r.complete ? subscriber.complete++ : subscriber.incomplete++));
        return subscriber;
      });
      subscribers.push(...fresh);
      await Promise.all(fresh.map((s) => s.client.subscribe(CHANNEL)));
    }
    progress(
      `recovery: ${plan.clients} library clients subscribed to ${CHANNEL}; publishing ${plan.ratePerSec}/s`,
    );
    const churn = { drops: 0, renewals: 0, running: true };
    const chaos = runChaos(stack, subscribers, publisherIds, churn);
    const messages = Math.max(1, Math.round(plan.ratePerSec * plan.seconds));
    const start = performance.now();
    for (let n = 0; n < messages; n++) {
      await sleep(Math.max(0, start + (n * 1000) / plan.ratePerSec - performance.now()));
      await until(() => publisher.accepted >= n - IN_FLIGHT, ACK_MS, "the publisher's acknowledgements");
      publisher.ws.send(clientRequest("publish", { channel: CHANNEL, message: n, id: `r-${n}` }));
    }
    await until(() => publisher.accepted >= messages, ACK_MS, "the publisher's acknowledgements");
    const publishedInMs = performance.now() - start;
    churn.running = false;
    await chaos;
    progress(`recovery: ${messages} published in ${Math.round(publishedInMs)} ms; waiting for every client`);
    await until(
      () => subscribers.every((s) => s.messages.length >= messages),
      DRAIN_MS,
      "every delivery",
    ).catch(() => progress(`recovery: some clients still miss messages after ${DRAIN_MS / 1000} s`));
    const drainedInMs = performance.now() - start;
    // A repeat would come after the last message: give it a moment to show.
    await sleep(1000);
    return { ...account(subscribers, messages), ...churn, publishedInMs, drainedInMs };
  } finally {
    for (const { client } of subscribers) client.close();
    publisher.ws.close();
  }
}

/**
 * The exact counts over what each client delivered.
 * @param subscribers - the clients and their deliveries, in the order delivered
 * @param published - messages published (ids `r-0`...)
 */
export function account(
  subscribers: ReadonlyArray<Pick<Subscriber, "messages" | "complete" | "incomplete">>,
  published: number,
): Omit<RecoveryFigures, "drops" | "renewals" | "publishedInMs" | "drainedInMs"> {
  let delivered = 0;
  let duplicates = 0;
  let outOfOrder = 0;
  let disagreements = 0;
  const atOffset = new Map<number, unknown>();
  for (const { messages } of subscribers) {
    const ids = new Set(messages.map((m) => m.id));
    delivered += ids.size;
    duplicates += messages.length - ids.size;
    messages.forEach((m, i) => {
      if (m.offset !== (messages[i - 1]?.offset ?? 0) + 1) outOfOrder += 1;
      const known = atOffset.get(m.offset ?? -1);
      if (known === undefined) atOffset.set(m.offset ?? -1, m.id);
      else if (known !== m.id) disagreements += 1;
    });
  }
  const expected = subscribers.length * published;
  return {
    clients: subscribers.length,
    published,
    expected,
    delivered,
    misses: expected - delivered,
    duplicates,
    outOfOrder,
    disagreements,
    recoveries: {
      complete: subscribers.reduce((n, s) => n + s.complete, 0),
      incomplete: subscribers.reduce((n, s) => n + s.incomplete, 0),
    },
  };
}

/** Why the phase failed; empty when every client delivered every message once, in order, with nothing lost. */
export function recoveryFailures(f: RecoveryFigures): string[] {
  const reasons: string[] = [];
  if (f.misses > 0) reasons.push(`recovery: ${f.misses} deliveries missed`);
  if (f.duplicates > 0) reasons.push(`recovery: ${f.duplicates} duplicates delivered`);
  if (f.outOfOrder > 0) reasons.push(`recovery: ${f.outOfOrder} deliveries out of position order`);
  if (f.disagreements > 0) reasons.push(`recovery: ${f.disagreements} positions held different messages`);
  if (f.recoveries.incomplete > 0) reasons.push(`recovery: ${f.recoveries.incomplete} incomplete recoveries`);
  return reasons;
}

/** Every half second, drops a random client (never the publisher) or renews an open one, until told to stop. */
async function runChaos(
  stack: { outputs: LocalStackOutputs; s3: S3Client },
  subscribers: Subscriber[],
  publisherIds: string[],
  churn: { drops: number; renewals: number; running: boolean },
): Promise<void> {
  for (let tick = 0; churn.running; tick++) {
    await sleep(CHAOS_EVERY_MS);
    if (tick % 2 === 0) {
      const ids = (await connectionIds(stack)).filter((id) => !publisherIds.includes(id));
      const id = ids[Math.floor(Math.random() * ids.length)];
      if (id === undefined) continue;
      const response = await fetch(
        `${stack.outputs.management_endpoint}/@connections/${encodeURIComponent(id)}`,
        {
          method: "DELETE",
        },
      );
      await response.arrayBuffer();
      // A client may have left on its own meanwhile (a renewal): then 410.
      if (response.status === 204) churn.drops += 1;
    } else {
      const { client } = subscribers[Math.floor(Math.random() * subscribers.length)] as Subscriber;
      if (client.state !== "open") continue;
      client.reconnect();
      churn.renewals += 1;
    }
  }
}

/** A plain WebSocket publisher that counts its acknowledgements. */
async function openPublisher(url: string): Promise<{ ws: WebSocket; accepted: number }> {
  const ws = new WebSocket(url);
  const publisher = { ws, accepted: 0 };
  ws.on("message", (data: Buffer) => {
    if (data.toString("utf8").startsWith('{"action":"accepted"')) publisher.accepted += 1;
  });
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  return publisher;
}

/** The connection ids in the stack's connection store. */
const connectionIds = (stack: { outputs: LocalStackOutputs; s3: S3Client }) =>
  listConnectionIds(stack.s3, stack.outputs.connection_bucket, stack.outputs.connection_prefix);

/** Polls `done` every 20 ms; fails after `ms`. */
async function until(done: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = performance.now() + ms;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`recovery: timed out waiting for ${what}`);
    await sleep(20);
  }
}
