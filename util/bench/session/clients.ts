/**
 * The parent side of the benchmark's clients: k child processes, each holding N/k WebSocket clients, so the
 * clients' work (TLS-free framing, JSON parsing, bookkeeping) is not done by the process that runs the gateway.
 */
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { LocalStack } from "../../local-stack/index.js";
import { progress } from "../progress.js";
import type { ClientReceipts } from "../stats.js";
import { type FromClients, stopChild, type ToClients } from "./ipc.js";

/** Client connects in flight across all client processes (the benchmark's and the soak's). */
export const CONNECT_CONCURRENCY = 32;

/** Connect phase figures per stack. */
export interface ConnectFigures {
  n: number;
  processes: number;
  ms: number;
  perSec: number;
}

const WORKER = fileURLToPath(new URL("./client-process.ts", import.meta.url));

/** Splits n into k near-equal shares (the first ones one larger). */
export function shares(n: number, k: number): number[] {
  const base = Math.floor(n / k);
  return Array.from({ length: k }, (_, i) => base + (i < n % k ? 1 : 0)).filter((s) => s > 0);
}

/** A set of client processes connected to one WebSocket URL. */
export class ClientPool {
  private readonly children: ChildProcess[] = [];
  private readonly listeners = new Set<(from: number, message: FromClients) => void>();

  /** The processes that hold clients (after {@link connect}; fewer than started when N is tiny). */
  private active: number[] = [];

  /** @param processes - how many client processes to start (they connect on {@link connect}) */
  constructor(processes: number) {
    for (let i = 0; i < processes; i++) {
      // tsx as a loader so the worker runs from source, as `npm run bench` runs main.ts.
      const child = fork(WORKER, [], {
        execArgv: ["--import", "tsx"],
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      });
      child.on("message", (message: FromClients) => {
        for (const listener of this.listeners) listener(i, message);
      });
      this.children.push(child);
    }
  }

  private post(i: number, message: ToClients): void {
    this.children[i]?.send(message);
  }

  /** Resolves with the first message from each listed child that matches, or rejects after timeoutMs. */
  private collect<T extends FromClients>(
    from: number[],
    match: (m: FromClients) => m is T,
    timeoutMs: number,
    what: string,
  ): Promise<Map<number, T>> {
    return new Promise((resolve, reject) => {
      const got = new Map<number, T>();
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(
          new Error(
            `${what}: ${got.size} of ${from.length} client processes answered within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      const listener = (i: number, m: FromClients) => {
        if (m.type === "error") {
          clearTimeout(timer);
          this.listeners.delete(listener);
          reject(new Error(`client process ${i}: ${m.message}`));
          return;
        }
        if (!from.includes(i) || got.has(i) || !match(m)) return;
        got.set(i, m);
        if (got.size === from.length) {
          clearTimeout(timer);
          this.listeners.delete(listener);
          resolve(got);
        }
      };
      this.listeners.add(listener);
    });
  }

  /** Connects n clients, spread over the processes; rejects if any fails (the run would not be exactly-once). */
  async connect(url: string, n: number, concurrency: number, timeoutMs: number): Promise<void> {
    const parts = shares(n, this.children.length);
    const used = parts.map((_, i) => i);
    const perProcess = Math.max(1, Math.ceil(concurrency / parts.length));
    const answers = this.collect(
      used,
      (m): m is Extract<FromClients, { type: "connected" }> => m.type === "connected",
      timeoutMs,
      "connect",
    );
    parts.forEach((count, i) => {
      this.post(i, { type: "connect", url, count, concurrency: perProcess });
    });
    const results = [...(await answers).values()];
    const failed = results.reduce((sum, r) => sum + r.failed, 0);
    if (failed > 0) {
      throw new Error(
        `${failed} of ${n} clients could not connect (first error: ${results.find((r) => r.firstError)?.firstError})`,
      );
    }
    this.active = used;
  }

  /** Resolves when every client has received runId at least once; rejects after timeoutMs. */
  waitComplete(runId: string, timeoutMs: number): Promise<unknown> {
    return this.collect(
      this.active,
      (m): m is Extract<FromClients, { type: "complete" }> => m.type === "complete" && m.runId === runId,
      timeoutMs,
      `delivery of ${runId}`,
    );
  }

  /** Has the first client send a request; resolves with the wall-clock instant it was sent. */
  async sendRequest(runId: string, request: string): Promise<number> {
    const answer = this.collect(
      [0],
      (m): m is Extract<FromClients, { type: "sent" }> => m.type === "sent" && m.runId === runId,
      10_000,
      "send",
    );
    this.post(0, { type: "broadcast", runId, request });
    return ((await answer).get(0) as { t0: number }).t0;
  }

  /**
   * Subscribes k clients to a channel, spread over the processes (the first ones of each), and resolves once every
   * subscription is stored.
   * @param channel - the channel
   * @param k - how many members
   * @param timeoutMs - how long the subscribes may take
   */
  async subscribe(channel: string, k: number, timeoutMs: number): Promise<void> {
    const parts = this.memberShares(k);
    const answers = this.collect(
      this.active,
      (m): m is Extract<FromClients, { type: "subscribed" }> =>
        m.type === "subscribed" && m.channel === channel,
      timeoutMs,
      `subscribe to ${channel}`,
    );
    this.active.forEach((i, at) => {
      this.post(i, { type: "subscribe", channel, count: parts[at] ?? 0 });
    });
    await answers;
  }

  /**
   * Tells the processes that runId goes to the k members of a channel only (as {@link subscribe} spread them);
   * call {@link waitComplete} first, since a process without members answers at once.
   * @param runId - the run
   * @param k - the members
   */
  expect(runId: string, k: number): void {
    const parts = this.memberShares(k);
    this.active.forEach((i, at) => {
      this.post(i, { type: "expect", runId, count: parts[at] ?? 0 });
    });
  }

  private memberShares(k: number): number[] {
    const parts = shares(k, this.active.length);
    return this.active.map((_, at) => parts[at] ?? 0);
  }

  /** Has the first `count` clients of the first process send a ping (warms the Lambda's @connections sender). */
  ping(count: number): void {
    this.post(0, { type: "ping", count });
  }

  /** Collects every process's receipts of runId (and forgets them there). */
  async report(runId: string): Promise<ClientReceipts[]> {
    const answers = this.collect(
      this.active,
      (m): m is Extract<FromClients, { type: "report" }> => m.type === "report" && m.runId === runId,
      30_000,
      `report of ${runId}`,
    );
    for (const i of this.active) this.post(i, { type: "report", runId });
    const reports = [...(await answers).values()];
    return reports.map((r) => r.receipts);
  }

  /** Closes every client and ends the processes (killing any that do not exit). */
  async stop(): Promise<void> {
    await Promise.all(this.children.map((child) => stopChild(child, { type: "close" })));
  }
}

/**
 * Connects N clients from the client processes and checks that the gateway holds exactly N.
 * @returns the connect phase's figures
 */
export async function connectClients(
  stack: LocalStack,
  pool: ClientPool,
  n: number,
  processes: number,
): Promise<ConnectFigures> {
  progress(
    `N = ${n}: connecting ${n} clients from ${processes} processes (local stack in open mode: no tokens)`,
  );
  const start = performance.now();
  await pool.connect(stack.outputs.ws_url, n, CONNECT_CONCURRENCY, 120_000 + n * 50);
  const ms = performance.now() - start;
  const live = stack.gateway.connectionCount();
  if (live !== n) throw new Error(`the gateway holds ${live} connections, expected ${n}`);
  progress(`connected ${n} clients in ${Math.round(ms)} ms (${Math.round((n / ms) * 1000)}/s)`);
  return { n, processes, ms, perSec: (n / ms) * 1000 };
}
