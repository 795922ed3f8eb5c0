/**
 * The soak run's messages between its main process and its client processes (over the IPC channel of
 * `child_process.fork`), and the marker every published message carries so that each receipt can be matched.
 */

/** What a client process is asked to hold: its share of stayers and churners. */
export interface ClientPlan {
  url: string;
  /** Clients that stay connected from before the first publish until after the last delivery. */
  stayers: number;
  /** Client slots that connect, stay a while and close, over and over, while the soak publishes. */
  churners: number;
  /** Connects per second this process's churners make together (each followed by a close). */
  churnPerSec: number;
  /** Connects in flight at once during the initial connect. */
  concurrency: number;
  /** Published messages are numbered 0..maxMessages-1: the size of every per-message tally. */
  maxMessages: number;
  /** The run's nonce: a marker from another run (or a stranger) is not counted. */
  nonce: string;
  /** Every churner close out of this many is a TCP reset (`terminate`) rather than a close handshake. */
  abruptEvery: number;
}

/** Main -> client process. */
export type ToSoakClients =
  | { type: "connect"; plan: ClientPlan }
  | { type: "churn" }
  | { type: "broadcast"; seq: number }
  | { type: "status" }
  | { type: "stop-churn" }
  | { type: "close" };

/** Counters a client process keeps while it runs (sent on every status request). */
export interface ClientStatus {
  /** (stayer, message) pairs received at least once. */
  stayerReceipts: number;
  stayersOpen: number;
  churnersOpen: number;
  churnConnects: number;
  churnCloses: number;
  churnAborts: number;
  connectFailures: number;
  firstConnectError?: string;
  /** Stayers that closed before they were asked to (idle timeout, gateway error). */
  stayersDropped: number;
}

/** The per-message tallies of one client process, index = message sequence number. */
export interface ClientTallies {
  stayerGot: number[];
  stayerDup: number[];
  churnerGot: number[];
  churnerDup: number[];
  /** Wall-clock ms of the latest receipt, 0 when none. */
  lastAt: number[];
  /** Per churner session: [opened, closed] in wall-clock ms. */
  churnerSessions: Array<[number, number]>;
  /** Frames that were neither a marker of this run nor a pong (error frames, say), and the first few of them. */
  otherFrames: number;
  otherSamples: string[];
  /** Receipts of a marker with this run's nonce but a sequence number outside the tallies. */
  outOfRange: number;
}

/** A status with every counter at zero: where a client process starts, and where a sum over processes starts. */
export function emptyStatus(): ClientStatus {
  return {
    stayerReceipts: 0,
    stayersOpen: 0,
    churnersOpen: 0,
    churnConnects: 0,
    churnCloses: 0,
    churnAborts: 0,
    connectFailures: 0,
    stayersDropped: 0,
  };
}

/** Tallies of `n` messages, every one at zero. */
export function emptyTallies(n: number): ClientTallies {
  const zeros = () => new Array<number>(n).fill(0);
  return {
    stayerGot: zeros(),
    stayerDup: zeros(),
    churnerGot: zeros(),
    churnerDup: zeros(),
    lastAt: zeros(),
    churnerSessions: [],
    otherFrames: 0,
    otherSamples: [],
    outOfRange: 0,
  };
}

/** Client process -> main. */
export type FromSoakClients =
  | { type: "connected"; stayers: number; churners: number; failed: number; firstError?: string }
  | { type: "sent"; seq: number; t0: number; ok: boolean }
  | { type: "status"; status: ClientStatus }
  | { type: "churn-stopped" }
  | { type: "closed"; status: ClientStatus; tallies: ClientTallies }
  | { type: "error"; message: string };

/** How a message was published. */
export type PublishKind = "sns" | "broadcast";

/** The marker of message `seq` of the run `nonce`: unique within the run and across runs. */
export function marker(nonce: string, seq: number): string {
  return `${nonce}:${seq}`;
}

/** The JSON body published for message `seq` (through SNS as is, or as the `message` of a broadcast request). */
export function soakMessage(
  nonce: string,
  seq: number,
  kind: PublishKind,
): { soak: string; via: PublishKind } {
  return { soak: marker(nonce, seq), via: kind };
}

/**
 * The sequence number a received frame carries for run `nonce`: the body itself (SNS) or wrapped as
 * `{"message": M}` (the broadcast route). Undefined for anything else (pongs, errors, another run's markers).
 */
export function seqOf(frame: string, nonce: string): number | undefined {
  // Cheap pre-check: most frames are ours, but pongs and error frames need no parse.
  if (!frame.includes('"soak"')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(frame);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const direct = (value as { soak?: unknown }).soak;
  const found =
    typeof direct === "string" ? direct : (value as { message?: { soak?: unknown } }).message?.soak;
  if (typeof found !== "string" || !found.startsWith(`${nonce}:`)) return undefined;
  const seq = Number(found.slice(nonce.length + 1));
  return Number.isInteger(seq) && seq >= 0 ? seq : undefined;
}
