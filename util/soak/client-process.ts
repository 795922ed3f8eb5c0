/**
 * A soak client process: holds its share of the stayers and churners, keeps per-message tallies of what each
 * client received (so no receipt list crosses the IPC channel), and reports them when its clients have closed.
 * Started by clients.ts with `fork`; speaks ipc.ts over IPC.
 */
import WebSocket from "ws";
import { IDLE_TIMEOUT_MS } from "../../src/contract/index.js";
import { wallClockMs } from "../bench/stats.js";
import { PING_REQUEST } from "../lib/frames.js";
import {
  type ClientPlan,
  type ClientStatus,
  type ClientTallies,
  emptyStatus,
  emptyTallies,
  type FromSoakClients,
  seqOf,
  soakMessage,
  type ToSoakClients,
} from "./ipc.js";

/** One WebSocket session: a stayer for the whole run, or one connect-to-close cycle of a churner slot. */
interface Session {
  ws: WebSocket;
  stayer: boolean;
  openedAt: number;
  /** Per message: how often it arrived on this session (saturates at 255). */
  seen: Uint8Array;
  /** Set when this process closed it on purpose. */
  closing: boolean;
}

/** A close handshake that has not finished after this long is cut (a churner must not stall its slot). */
const CLOSE_WAIT_MS = 5_000;
/** A failed churner connect is retried after this pause, so a refusing stack is not hammered. */
const RETRY_PAUSE_MS = 250;
/** A stayer says something this often, well inside the gateway's idle timeout, which only client requests reset. */
const PING_EVERY_MS = Math.floor(IDLE_TIMEOUT_MS / 3);
const MAX_SAMPLES = 5;

const send = (message: FromSoakClients) => process.send?.(message);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

let plan: ClientPlan | undefined;
let tallies: ClientTallies | undefined;
const stayers: Session[] = [];
const churners = new Set<Session>();
const status: ClientStatus = emptyStatus();
let churning = false;
/** Wakes churner slots that sleep through their lifetime when churn stops. */
const wakers = new Set<() => void>();
let slotsRunning: Promise<void> | undefined;
let closeAllStarted = false;

function receive(session: Session, text: string, t: ClientTallies, p: ClientPlan): void {
  const at = wallClockMs();
  const seq = seqOf(text, p.nonce);
  if (seq === undefined) {
    if (text === '{"action":"pong"}') return;
    t.otherFrames += 1;
    if (t.otherSamples.length < MAX_SAMPLES) t.otherSamples.push(text.slice(0, 300));
    return;
  }
  if (seq >= p.maxMessages) {
    t.outOfRange += 1;
    return;
  }
  const before = session.seen[seq] ?? 0;
  if (before < 255) session.seen[seq] = before + 1;
  if (at > (t.lastAt[seq] ?? 0)) t.lastAt[seq] = at;
  const got = session.stayer ? t.stayerGot : t.churnerGot;
  const dup = session.stayer ? t.stayerDup : t.churnerDup;
  if (before === 0) {
    got[seq] = (got[seq] ?? 0) + 1;
    if (session.stayer) status.stayerReceipts += 1;
  } else {
    dup[seq] = (dup[seq] ?? 0) + 1;
  }
}

/** Opens one client; resolves once the gateway has answered 101 (after `$connect` stored the connection). */
function open(p: ClientPlan, t: ClientTallies, stayer: boolean): Promise<Session> {
  return new Promise((resolve, reject) => {
    // API Gateway does not negotiate permessage-deflate; neither do we.
    const ws = new WebSocket(p.url, { perMessageDeflate: false });
    const session: Session = { ws, stayer, openedAt: 0, seen: new Uint8Array(p.maxMessages), closing: false };
    ws.once("open", () => {
      session.openedAt = wallClockMs();
      resolve(session);
    });
    ws.once("unexpected-response", (_req, res) => {
      reject(new Error(`handshake refused with ${res.statusCode}`));
      ws.terminate();
    });
    ws.on("error", (error) => reject(error));
    ws.on("message", (data, isBinary) => {
      if (!isBinary) receive(session, data.toString(), t, p);
    });
  });
}

function closed(ws: WebSocket): Promise<void> {
  return new Promise((resolve) => {
    if (ws.readyState === WebSocket.CLOSED) {
      resolve();
      return;
    }
    const timer = setTimeout(() => {
      ws.terminate();
      resolve();
    }, CLOSE_WAIT_MS);
    ws.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Connects `count` clients with at most `concurrency` in flight; resolves with the sessions and the failures. */
async function connectMany(
  p: ClientPlan,
  t: ClientTallies,
  count: number,
  stayer: boolean,
  concurrency: number,
) {
  const sessions: Session[] = [];
  let next = 0;
  let failed = 0;
  let firstError: string | undefined;
  const lane = async () => {
    while (next < count) {
      next += 1;
      try {
        sessions.push(await open(p, t, stayer));
      } catch (error) {
        failed += 1;
        firstError ??= error instanceof Error ? error.message : String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return { sessions, failed, firstError };
}

function watchStayer(session: Session): void {
  status.stayersOpen += 1;
  // Staggered, so that the stayers' pings do not arrive together.
  const first = setTimeout(() => {
    ping();
    const every = setInterval(ping, PING_EVERY_MS);
    session.ws.once("close", () => clearInterval(every));
  }, Math.random() * PING_EVERY_MS);
  const ping = () => {
    if (session.ws.readyState === WebSocket.OPEN) session.ws.send(PING_REQUEST);
  };
  session.ws.once("close", () => {
    clearTimeout(first);
    status.stayersOpen -= 1;
    if (!session.closing) status.stayersDropped += 1;
  });
}

function track(session: Session, t: ClientTallies): void {
  churners.add(session);
  status.churnersOpen += 1;
  session.ws.once("close", () => {
    churners.delete(session);
    status.churnersOpen -= 1;
    t.churnerSessions.push([session.openedAt, wallClockMs()]);
  });
}

/** Sleeps `ms`, or less when churn stops. */
function lifetime(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const wake = () => {
      clearTimeout(timer);
      wakers.delete(wake);
      resolve();
    };
    const timer = setTimeout(wake, ms);
    wakers.add(wake);
  });
}

/** Ends one churner session, with a close handshake or (one in `abruptEvery`) a TCP reset. */
async function end(session: Session, p: ClientPlan): Promise<void> {
  session.closing = true;
  const done = closed(session.ws);
  status.churnCloses += 1;
  if (p.abruptEvery > 0 && status.churnCloses % p.abruptEvery === 0) {
    status.churnAborts += 1;
    session.ws.terminate();
  } else {
    session.ws.close(1000);
  }
  await done;
}

/**
 * One churner slot: its first session (connected with the stayers) lives a random part of a lifetime, then the
 * slot closes and reconnects until churn stops. Mean lifetime = slots / rate, so the slots together make `rate`
 * connects per second.
 */
async function churnSlot(first: Session | undefined, p: ClientPlan, t: ClientTallies, meanMs: number) {
  let session = first;
  let life = Math.random() * 2 * meanMs;
  while (churning) {
    if (session) {
      await lifetime(life);
      // Churn stopped: the session stays open until the final close, like the stayers.
      if (!churning) break;
      await end(session, p);
      session = undefined;
    }
    if (!churning) break;
    try {
      session = await open(p, t, false);
      status.churnConnects += 1;
      track(session, t);
      if (closeAllStarted) break;
    } catch (error) {
      status.connectFailures += 1;
      status.firstConnectError ??= error instanceof Error ? error.message : String(error);
      await sleep(RETRY_PAUSE_MS);
    }
    life = meanMs * (0.5 + Math.random());
  }
}

let initialChurners: Session[] = [];

async function connect(p: ClientPlan): Promise<void> {
  plan = p;
  const t = emptyTallies(p.maxMessages);
  tallies = t;
  const s = await connectMany(p, t, p.stayers, true, p.concurrency);
  for (const session of s.sessions) {
    stayers.push(session);
    watchStayer(session);
  }
  const c = await connectMany(p, t, p.churners, false, p.concurrency);
  initialChurners = c.sessions;
  for (const session of c.sessions) track(session, t);
  send({
    type: "connected",
    stayers: s.sessions.length,
    churners: c.sessions.length,
    failed: s.failed + c.failed,
    ...(s.firstError || c.firstError ? { firstError: s.firstError ?? c.firstError } : {}),
  });
}

function startChurn(): void {
  const p = plan;
  const t = tallies;
  if (!p || !t || p.churners === 0 || p.churnPerSec <= 0) return;
  churning = true;
  const meanMs = (p.churners / p.churnPerSec) * 1000;
  const slots = Array.from({ length: p.churners }, (_, i) => churnSlot(initialChurners[i], p, t, meanMs));
  initialChurners = [];
  slotsRunning = Promise.all(slots).then(() => undefined);
}

async function stopChurn(): Promise<void> {
  churning = false;
  // Slots asleep in a lifetime wake up and keep their session open; the final close ends it.
  for (const wake of [...wakers]) wake();
  await slotsRunning;
  send({ type: "churn-stopped" });
}

async function closeAll(): Promise<void> {
  closeAllStarted = true;
  churning = false;
  for (const wake of [...wakers]) wake();
  await slotsRunning;
  const all = [...stayers, ...churners];
  for (const session of all) session.closing = true;
  const done = Promise.all(all.map((session) => closed(session.ws)));
  for (const session of all) session.ws.close(1000);
  await done;
  const t = tallies ?? emptyTallies(0);
  send({ type: "closed", status, tallies: t });
}

function broadcast(seq: number): void {
  const t0 = wallClockMs();
  const open = stayers.filter((s) => s.ws.readyState === WebSocket.OPEN);
  const sender = open[Math.floor(Math.random() * open.length)];
  if (!plan || !sender) {
    send({ type: "sent", seq, t0, ok: false });
    return;
  }
  sender.ws.send(JSON.stringify({ action: "broadcast", message: soakMessage(plan.nonce, seq, "broadcast") }));
  send({ type: "sent", seq, t0, ok: true });
}

const fail = (error: unknown) =>
  send({ type: "error", message: error instanceof Error ? error.message : String(error) });

process.on("message", (message: ToSoakClients) => {
  switch (message.type) {
    case "connect":
      connect(message.plan).catch(fail);
      break;
    case "churn":
      startChurn();
      break;
    case "broadcast":
      broadcast(message.seq);
      break;
    case "status":
      send({ type: "status", status });
      break;
    case "stop-churn":
      stopChurn().catch(fail);
      break;
    case "close":
      closeAll().then(() => setTimeout(() => process.exit(0), 100).unref(), fail);
      break;
  }
});
// The main process left (or was killed): nothing to report to, so go.
process.on("disconnect", () => process.exit(0));
