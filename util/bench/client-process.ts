/**
 * A benchmark client process: holds its share of the N WebSocket clients, records when each socket first receives
 * each published message (wall clock shared across processes) and how often, and reports to the main process.
 * Started by clients.ts with `fork`; speaks protocol.ts over IPC.
 */
import WebSocket from "ws";
import { PING_FRAME } from "../lib/frames.js";
import { type FromClients, runIdOf, type ToClients } from "./protocol.js";
import { wallClockMs } from "./stats.js";

const sockets: WebSocket[] = [];
/** Per run id: per socket, receipt count and first receipt time. */
const runs = new Map<string, { counts: number[]; firstAt: number[]; remaining: number }>();

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
      const runId = runIdOf(data.toString());
      if (runId === undefined) return;
      const run = runFor(runId);
      run.counts[index] = (run.counts[index] ?? 0) + 1;
      if (run.counts[index] === 1) {
        run.firstAt[index] = at;
        run.remaining -= 1;
        if (run.remaining === 0) send({ type: "complete", runId });
      }
    });
  });
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
      sockets[0]?.send(message.frame);
      send({ type: "sent", runId: message.runId, t0 });
      break;
    }
    case "ping":
      for (const ws of sockets.slice(0, message.count)) ws.send(PING_FRAME);
      break;
    case "report": {
      const run = runFor(message.runId);
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
