/**
 * The parent side of the soak's clients: one or two child processes holding the stayers and churners, so the
 * clients' work is not done by the process that runs the gateway (whose memory the soak measures).
 */
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { shares } from "../bench/session/clients.js";
import { stopChild } from "../bench/session/ipc.js";
import {
  type ClientPlan,
  type ClientStatus,
  type ClientTallies,
  emptyStatus,
  type FromSoakClients,
  type ToSoakClients,
} from "./ipc.js";

const WORKER = fileURLToPath(new URL("./client-process.ts", import.meta.url));

type Reply<K extends FromSoakClients["type"]> = Extract<FromSoakClients, { type: K }>;

/** The soak's client processes. */
export class SoakClients {
  private readonly children: ChildProcess[] = [];
  private readonly listeners = new Set<(from: number, message: FromSoakClients) => void>();
  /** Processes that hold stayers (the ones that can send a broadcast request). */
  private senders: number[] = [];
  private nextSender = 0;

  /**
   * @param processes - how many client processes to start
   * @param onSent - receives each broadcast's send instant (or failure)
   */
  constructor(processes: number, onSent: (message: Reply<"sent">) => void) {
    for (let i = 0; i < processes; i++) {
      // tsx as a loader so the worker runs from source, as `npm run soak` runs main.ts.
      const child = fork(WORKER, [], {
        execArgv: ["--import", "tsx"],
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      });
      child.on("message", (message: FromSoakClients) => {
        if (message.type === "sent") onSent(message);
        for (const listener of this.listeners) listener(i, message);
      });
      this.children.push(child);
    }
  }

  /** Sends `message` to every process and resolves with each one's first reply of type `type`. */
  private ask<K extends FromSoakClients["type"]>(
    message: ToSoakClients | ((i: number) => ToSoakClients),
    type: K,
    timeoutMs: number,
  ): Promise<Array<Reply<K>>> {
    return new Promise((resolve, reject) => {
      const got = new Map<number, Reply<K>>();
      const done = (error?: Error) => {
        clearTimeout(timer);
        this.listeners.delete(listener);
        if (error) reject(error);
        else resolve([...got.entries()].sort(([a], [b]) => a - b).map(([, reply]) => reply));
      };
      const timer = setTimeout(
        () =>
          done(
            new Error(
              `${type}: ${got.size} of ${this.children.length} client processes answered within ${timeoutMs} ms`,
            ),
          ),
        timeoutMs,
      );
      const listener = (i: number, m: FromSoakClients) => {
        if (m.type === "error") done(new Error(`client process ${i}: ${m.message}`));
        else if (m.type === type && !got.has(i)) {
          got.set(i, m as Reply<K>);
          if (got.size === this.children.length) done();
        }
      };
      this.listeners.add(listener);
      this.children.forEach((child, i) => {
        child.send(typeof message === "function" ? message(i) : message);
      });
    });
  }

  /**
   * Connects the stayers and the first churners, spread over the processes; rejects if a stayer could not connect
   * (its count would then not be exact).
   * @param plan - the totals over all processes (stayers, churners, churn rate), split here
   */
  async connect(plan: ClientPlan, timeoutMs: number): Promise<{ churners: number; failed: number }> {
    const k = this.children.length;
    const stayers = spread(plan.stayers, k);
    const churners = spread(plan.churners, k);
    const replies = await this.ask(
      (i) => ({
        type: "connect",
        plan: {
          ...plan,
          stayers: stayers[i] ?? 0,
          churners: churners[i] ?? 0,
          churnPerSec: plan.churners > 0 ? (plan.churnPerSec * (churners[i] ?? 0)) / plan.churners : 0,
        },
      }),
      "connected",
      timeoutMs,
    );
    const connected = replies.reduce((sum, r) => sum + r.stayers, 0);
    if (connected < plan.stayers) {
      throw new Error(
        `${plan.stayers - connected} of ${plan.stayers} stayers could not connect ` +
          `(first error: ${replies.find((r) => r.firstError)?.firstError})`,
      );
    }
    this.senders = stayers.flatMap((count, i) => (count > 0 ? [i] : []));
    return {
      churners: replies.reduce((sum, r) => sum + r.churners, 0),
      failed: replies.reduce((sum, r) => sum + r.failed, 0),
    };
  }

  /** Starts the churn in every process. */
  churn(): void {
    for (const child of this.children) child.send({ type: "churn" } satisfies ToSoakClients);
  }

  /** Has a stayer (of the next process in turn) send message `seq` as a broadcast request. */
  broadcast(seq: number): void {
    const i = this.senders[this.nextSender++ % this.senders.length];
    if (i !== undefined) this.children[i]?.send({ type: "broadcast", seq } satisfies ToSoakClients);
  }

  /** Every process's counters, summed. */
  async status(): Promise<ClientStatus> {
    return sumStatus((await this.ask({ type: "status" }, "status", 10_000)).map((r) => r.status));
  }

  /** Stops every churner slot from reconnecting (the sessions open now stay open). */
  async stopChurn(timeoutMs: number): Promise<void> {
    await this.ask({ type: "stop-churn" }, "churn-stopped", timeoutMs);
  }

  /** Closes every client and collects each process's counters and tallies. */
  async close(timeoutMs: number): Promise<{ status: ClientStatus; tallies: ClientTallies[] }> {
    const replies = await this.ask({ type: "close" }, "closed", timeoutMs);
    return { status: sumStatus(replies.map((r) => r.status)), tallies: replies.map((r) => r.tallies) };
  }

  /** Ends the processes (killing any that do not exit); safe after {@link close} and on any failure path. */
  async stop(): Promise<void> {
    await Promise.all(this.children.map((child) => stopChild(child, { type: "close" })));
  }

  /** Kills the processes at once: for the `exit` handler, which cannot wait. */
  kill(): void {
    for (const child of this.children) if (child.exitCode === null) child.kill("SIGKILL");
  }
}

/** `shares`, padded with zeros to k entries (shares drops the empty ones). */
function spread(n: number, k: number): number[] {
  const parts = shares(n, k);
  return Array.from({ length: k }, (_, i) => parts[i] ?? 0);
}

function sumStatus(all: ClientStatus[]): ClientStatus {
  const total = emptyStatus();
  for (const s of all) {
    total.stayerReceipts += s.stayerReceipts;
    total.stayersOpen += s.stayersOpen;
    total.churnersOpen += s.churnersOpen;
    total.churnConnects += s.churnConnects;
    total.churnCloses += s.churnCloses;
    total.churnAborts += s.churnAborts;
    total.connectFailures += s.connectFailures;
    total.stayersDropped += s.stayersDropped;
    if (s.firstConnectError !== undefined) total.firstConnectError ??= s.firstConnectError;
  }
  return total;
}
