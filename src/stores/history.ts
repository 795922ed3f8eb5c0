/**
 * The channel history: every message of a channel that keeps history, at its position, in the connection bucket
 * (`channel-history/`, the layout of `src/contract/storage.ts`), until the bucket's lifecycle rule expires it.
 *
 * Positions are claimed without a counter: the write of a message IS the claim of its position. A writer guesses the
 * next position (its own last write, or the head that one listing finds), then writes the message's key with
 * `If-None-Match: *`; S3 lets exactly one write create a key, so two writers never hold one position, and the loser
 * (412) lists the head again and tries the position after it. Offsets therefore follow each other without a hole,
 * and the order of positions is the order in which the claims succeeded.
 */
import type { Position } from "../contract/messages.js";
import { epochAt } from "../contract/messages.js";
import { historyEpochPrefix, historyKey, historyPrefix, positionOfHistoryKey } from "../contract/storage.js";
import { type S3Bucket, StoreError } from "./s3.js";

/** A channel's history. */
export interface HistoryStore {
  /**
   * Writes a message at the channel's next position: the write claims the position, so it happens before the
   * message is sent to anyone.
   * @param channel - the channel
   * @param frame - the message's frame at a position (called once per position tried)
   * @returns the position claimed and the frame written there
   * @throws StoreError when S3 fails, or no position was won after many tries
   */
  append(channel: string, frame: (position: Position) => Uint8Array): Promise<Claimed>;
  /** The position of the channel's newest message, or undefined when its history is empty. */
  head(channel: string): Promise<Position | undefined>;
  /**
   * The messages of one epoch after `after` up to `upTo`, oldest first, as their frames: all of them, read a few
   * ahead of the consumer, or undefined when the oldest of them have expired.
   */
  range(
    channel: string,
    epoch: string,
    after: number,
    upTo: number,
  ): Promise<AsyncIterable<Uint8Array> | undefined>;
  /** The newest `count` messages of the channel's newest epoch, oldest first (fewer when it holds fewer). */
  latest(channel: string, count: number): Promise<Uint8Array[]>;
}

/** A message written at its position. */
export interface Claimed {
  position: Position;
  /** The frame with its position, as written and as it is to be sent. */
  data: Uint8Array;
}

/** Settings of {@link S3HistoryStore}; tests replace the clock and the pause. */
export interface HistoryStoreOptions {
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * How long a write keeps trying positions before it gives up. Each lost try means another writer won a position:
 * claims of one channel follow each other one round trip at a time, so with k writers at once the last one waits
 * k round trips (about 20 ms each on S3): 10 s is hundreds of writers, and well inside API Gateway's 29 s.
 */
export const CLAIM_BUDGET_MS = 10_000;

/**
 * How long this environment trusts the last position it wrote. A wrong guess costs only a 412 and a listing, but a
 * guess older than the retention could name a position that expired, in an epoch that ended: far below a day.
 */
export const HEAD_CACHE_MS = 10 * 60_000;

/** Channels whose last position this environment remembers (the least recently written forgotten first). */
const HEAD_CACHE_SIZE = 1000;

/** GetObject calls in flight ahead of the consumer of a range. */
const READ_AHEAD = 8;

/** The history in S3. */
export class S3HistoryStore implements HistoryStore {
  private readonly heads = new Map<string, { position: Position; at: number }>();
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  /**
   * @param bucket - the connection bucket
   * @param options - the clock and the pause between tries of a contended key
   */
  constructor(
    private readonly bucket: S3Bucket,
    options: HistoryStoreOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** @inheritdoc */
  async append(channel: string, frame: (position: Position) => Uint8Array): Promise<Claimed> {
    const started = this.now();
    let last = this.remembered(channel) ?? (await this.head(channel));
    let tries = 0;
    do {
      tries += 1;
      // An empty history begins an epoch: the hour, which every writer that finds it empty now agrees on.
      const position = last
        ? { epoch: last.epoch, offset: last.offset + 1 }
        : { epoch: epochAt(this.now()), offset: 1 };
      const data = frame(position);
      const outcome = await this.bucket.putIfAbsent(historyKey(channel, position), data);
      if (outcome === "written") {
        this.remember(channel, position);
        return { position, data };
      }
      // 409: a write of this very key is in flight; let it finish before looking at the head again.
      if (outcome === "conflict") await this.sleep(10 + Math.random() * 40);
      const head = await this.head(channel);
      // The position is taken (412), so the head is at least there; a conflict whose writer failed leaves it free.
      last = outcome === "taken" && (head === undefined || precedes(head, position)) ? position : head;
    } while (this.now() - started < CLAIM_BUDGET_MS);
    throw new StoreError(
      "PutObject",
      `no free position in the history of ${channel} after ${tries} tries in ${CLAIM_BUDGET_MS} ms`,
    );
  }

  /** @inheritdoc */
  async head(channel: string): Promise<Position | undefined> {
    const [key] = await this.bucket.firstKeys(historyPrefix(channel), 1);
    const position = key === undefined ? undefined : positionOfHistoryKey(channel, key);
    if (position) this.remember(channel, position);
    return position;
  }

  /** @inheritdoc */
  async range(
    channel: string,
    epoch: string,
    after: number,
    upTo: number,
  ): Promise<AsyncIterable<Uint8Array> | undefined> {
    const count = upTo - after;
    if (count <= 0) return this.read([]);
    // Newest first from `upTo`: the listing shows which keys exist before any is read (see S3Bucket.get).
    const keys = await this.bucket.firstKeys(
      historyEpochPrefix(channel, epoch),
      count,
      historyKey(channel, { epoch, offset: upTo + 1 }),
    );
    const oldest = keys.at(-1);
    const complete =
      keys.length === count &&
      oldest !== undefined &&
      positionOfHistoryKey(channel, oldest)?.offset === after + 1;
    return complete ? this.read(keys.reverse()) : undefined;
  }

  /** @inheritdoc */
  async latest(channel: string, count: number): Promise<Uint8Array[]> {
    const keys = await this.bucket.firstKeys(historyPrefix(channel), count);
    const epoch = keys[0] === undefined ? undefined : positionOfHistoryKey(channel, keys[0])?.epoch;
    const ofNewest = keys.filter((key) => positionOfHistoryKey(channel, key)?.epoch === epoch);
    const frames: Uint8Array[] = [];
    for await (const frame of this.read(ofNewest.reverse())) frames.push(frame);
    return frames;
  }

  /** Reads the keys in order, {@link READ_AHEAD} GetObject calls ahead of the consumer. */
  private async *read(keys: readonly string[]): AsyncIterable<Uint8Array> {
    const pending: Array<Promise<Uint8Array | undefined>> = [];
    let next = 0;
    const fill = () => {
      while (pending.length < READ_AHEAD && next < keys.length) {
        const read = this.bucket.get(keys[next++] as string);
        // A consumer that stops early (its connection went) leaves reads behind: none may reject unhandled.
        read.catch(() => undefined);
        pending.push(read);
      }
    };
    fill();
    for (let read = pending.shift(); read !== undefined; read = pending.shift()) {
      const data = await read;
      // Listed a moment ago, gone now: it expired in between, at the retention's edge.
      if (data === undefined)
        throw new StoreError("GetObject", "a listed history message expired while being read");
      fill();
      yield data;
    }
  }

  private remembered(channel: string): Position | undefined {
    const entry = this.heads.get(channel);
    return entry && this.now() - entry.at < HEAD_CACHE_MS ? entry.position : undefined;
  }

  private remember(channel: string, position: Position): void {
    const known = this.heads.get(channel);
    if (known && !precedes(known.position, position) && this.now() - known.at < HEAD_CACHE_MS) return;
    this.heads.delete(channel);
    this.heads.set(channel, { position, at: this.now() });
    if (this.heads.size > HEAD_CACHE_SIZE) this.heads.delete(this.heads.keys().next().value as string);
  }
}

/** Whether `a` comes before `b`: an earlier epoch (hours in base 36), or the same epoch and a lower offset. */
function precedes(a: Position, b: Position): boolean {
  const epochA = Number.parseInt(a.epoch, 36);
  const epochB = Number.parseInt(b.epoch, 36);
  return epochA < epochB || (epochA === epochB && a.offset < b.offset);
}
