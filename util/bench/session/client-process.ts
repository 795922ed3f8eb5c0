/**
 * A benchmark client process: holds its share of the N WebSocket clients, records when each socket first receives
 * each published message (wall clock shared across processes) and how often, and reports to the main process.
 * Started by clients.ts with `fork`; speaks ipc.ts over IPC.
 */
import WebSocket from "ws";
import { PING_REQUEST } from "../../lib/frames.js";
import { wallClockMs } from "../stats.js";
import { type FromClients, runIdOf, type ToClients } from "./ipc.js";

const sockets: WebSocket[] = [];
/**
 * Per run id: per socket, receipt count and first receipt time. `members` is set for a publish to a channel: only
 * the first `members` sockets should receive it.
 */
const runs = new Map<
  string,
  { counts: number[]; firstAt: number[]; remaining: number; members?: number; leaked?: number }
>();
/** Per channel: subscriptions acknowledged so far, and who to tell when all are. */
const subscribing = new Map<string, { pending: number; done: () => void }>();

const send = (message: FromClients) => process.send?.(message);

function runFor(runId: string) {
  let run = runs.get(runId);
  if (!run) {
    run = {
      counts: new Array(sockets.length).fill(0),
      firstAt: new Array(sockets.length).fill(-1),
      remaining: sockets.length,
    };
    runs.set(runId, run);
  }
  return run;
}

function open(url: string, index: number): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    // API Gateway does not negotiate permessage-deflate; neither do we.
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
    ws.once("unexpected-response", (_req, res) =>
      reject(new Error(`handshake refused with ${res.statusCode}`)),
    );
    ws.on("message", (data, isBinary) => {
      if (isBinary) return;
      const at = wallClockMs();
      const text = data.toString();
      if (text.startsWith('{"action":"subscribed"')) {
        acknowledged(text);
        return;
      }
      const runId = runIdOf(text);
      if (runId === undefined) return;
      const run = runFor(runId);
      if (run.members !== undefined && index >= run.members) {
        run.leaked = (run.leaked ?? 0) + 1;
        return;
      }
      run.counts[index] = (run.counts[index] ?? 0) + 1;
      if (run.counts[index] === 1) {
        run.firstAt[index] = at;
        run.remaining -= 1;
        if (run.remaining === 0) send({ type: "complete", runId });
      }
    });
  });
}

/** Counts a `{"action":"subscribed","channel":C}` acknowledgement. */
function acknowledged(text: string): void {
  const channel = (JSON.parse(text) as { channel?: string }).channel ?? "";
  const waiting = subscribing.get(channel);
  if (waiting === undefined) return;
  waiting.pending -= 1;
  if (waiting.pending === 0) {
    subscribing.delete(channel);
    waiting.done();
  }
}

/** Subscribes the first `count` sockets to a channel and answers once every subscription is stored. */
function subscribe(channel: string, count: number): void {
  const members = sockets.slice(0, count);
  const answer = () => send({ type: "subscribed", channel, count: members.length });
  if (members.length === 0) {
    answer();
    return;
  }
  subscribing.set(channel, { pending: members.length, done: answer });
  for (const ws of members) ws.send(JSON.stringify({ action: "subscribe", channel }));
}

async function connect(url: string, count: number, concurrency: number): Promise<void> {
  let next = 0;
  let failed = 0;
  let firstError: string | undefined;
  const slots: WebSocket[] = new Array(count);
  // Bounded concurrency: each connect runs $connect through the Lambda pool; a burst only queues there.
  const lane = async () => {
    while (next < count) {
      const i = next++;
      try {
        slots[i] = await open(url, i);
      } catch (error) {
        failed += 1;
        firstError ??= error instanceof Error ? error.message : String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  sockets.push(...slots.filter((s) => s !== undefined));
  send({ type: "connected", count: sockets.length, failed, ...(firstError ? { firstError } : {}) });
}

process.on("message", (message: ToClients) => {
  switch (message.type) {
    case "connect":
      connect(message.url, message.count, message.concurrency).catch((e: unknown) =>
        send({ type: "error", message: String(e) }),
      );
      break;
    case "broadcast": {
      const t0 = wallClockMs();
      sockets[0]?.send(message.request);
      send({ type: "sent", runId: message.runId, t0 });
      break;
    }
    case "ping":
      for (const ws of sockets.slice(0, message.count)) ws.send(PING_REQUEST);
      break;
    case "subscribe":
      subscribe(message.channel, message.count);
      break;
    case "expect": {
      const count = Math.min(message.count, sockets.length);
      runs.set(message.runId, {
        counts: new Array(count).fill(0),
        firstAt: new Array(count).fill(-1),
        remaining: count,
        members: count,
      });
      // A process without members has all it will get.
      if (count === 0) send({ type: "complete", runId: message.runId });
      break;
    }
    case "report": {
      const run = runFor(message.runId);
      if (run.leaked) {
        send({ type: "error", message: `${run.leaked} non-members received ${message.runId}` });
        break;
      }
      send({
        type: "report",
        runId: message.runId,
        receipts: { counts: run.counts, firstAt: run.firstAt },
      });
      runs.delete(message.runId);
      break;
    }
    case "close":
      for (const ws of sockets) ws.close(1000);
      setTimeout(() => process.exit(0), 500).unref();
      break;
  }
});
process.on("disconnect", () => process.exit(0));
