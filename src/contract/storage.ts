/**
 * The storage layout in the connection bucket: where each connection, each channel membership and each message of a
 * channel's history is kept, and how the keys are cut into buckets that fan-out shards list on their own. Shared by the stores (`src/stores/`),
 * `deployment/` (lifecycle rule, IAM) and the benchmark, which lists the bucket itself.
 *
 * ## Buckets
 *
 * Every connection id falls in one of {@link BUCKET_COUNT} buckets (a hash of the id). The bucket is a key segment,
 * `~` followed by two hex digits (`~00` to `~ff`), so one bucket, or a run of consecutive buckets, is one
 * contiguous key range that a single ListObjectsV2 pages through. The key layout never depends on the number of
 * shards: a fan-out cut into K shards gives each shard a range of 256/K buckets, and K can change between two
 * deployments without moving a key.
 *
 * Why `~`: it sorts after every character of a connection id (S3 lists in UTF-8 byte order, and `~` is above
 * letters, digits, `+`, `/`, `=`, `-` and `_`), so every bucketed key sorts after every key of the flat layout
 * that came before (`<prefix>/<connectionId>`). The flat keys are then one range at the front of the prefix,
 * read apart from the buckets while they last, and a bucket's range never pages through them.
 */

import { MAX_EPOCH_LENGTH, type Position } from "./messages.js";

/** Buckets of the key layout: fixed, so that keys never move. Two hex digits. */
export const BUCKET_COUNT = 256;

/** The first character of a bucket segment; sorts after every character of a connection id. */
export const BUCKET_MARK = "~";

/** The most shards a fan-out is cut into: one bucket each. */
const MAX_SHARDS = BUCKET_COUNT;

/** A run of consecutive buckets: `from` included, `to` excluded, `0 <= from < to <= 256`. */
export interface BucketRange {
  /** The first bucket. */
  from: number;
  /** The bucket after the last one. */
  to: number;
}

/** Every bucket: what a fan-out in one invocation lists. */
export const ALL_BUCKETS: BucketRange = /* @__PURE__ */ Object.freeze({ from: 0, to: BUCKET_COUNT });

/**
 * The bucket of a connection id: FNV-1a (32 bits) of its UTF-16 code units, folded to 8 bits. Not a security
 * boundary (API Gateway chooses the ids), only a spread: any stable hash that mixes every character will do, and
 * this one needs no import.
 * @param connectionId - the connection id
 */
export function bucketOf(connectionId: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < connectionId.length; index++) {
    hash ^= connectionId.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  // Fold the high bits in: FNV's low byte alone is weaker on short inputs.
  return (hash ^ (hash >>> 8) ^ (hash >>> 16) ^ (hash >>> 24)) & 0xff;
}

/**
 * The key segment of a bucket: `~` and two lowercase hex digits.
 * @param bucket - 0 to 255
 */
export function bucketSegment(bucket: number): string {
  return `${BUCKET_MARK}${bucket.toString(16).padStart(2, "0")}`;
}

/**
 * The bucket a key segment names, or undefined when it is not a bucket segment.
 * @param segment - a key segment
 */
export function parseBucketSegment(segment: string): number | undefined {
  return /^~[0-9a-f]{2}$/.test(segment) ? Number.parseInt(segment.slice(1), 16) : undefined;
}

/**
 * Cuts the buckets into `shards` consecutive ranges of near-equal size (sizes differ by at most one bucket).
 * @param shards - how many ranges; clamped to 1..256
 */
export function splitBuckets(shards: number): BucketRange[] {
  const count = Math.min(MAX_SHARDS, Math.max(1, Math.floor(shards)));
  return Array.from({ length: count }, (_, index) => ({
    from: Math.floor((index * BUCKET_COUNT) / count),
    to: Math.floor(((index + 1) * BUCKET_COUNT) / count),
  }));
}

/**
 * Whether a value is a valid bucket range (for ranges read from a queue message).
 * @param value - anything
 */
export function isBucketRange(value: unknown): value is BucketRange {
  if (typeof value !== "object" || value === null) return false;
  const { from, to } = value as Record<string, unknown>;
  return (
    Number.isInteger(from) &&
    Number.isInteger(to) &&
    (from as number) >= 0 &&
    (from as number) < (to as number) &&
    (to as number) <= BUCKET_COUNT
  );
}

/**
 * Whether a range covers bucket 0: the shard that also reads the flat layout's keys during the transition.
 * @param range - a bucket range
 */
export function startsTheStore(range: BucketRange): boolean {
  return range.from === 0;
}

/** One key range to list: the keys under `prefix` after `startAfter` and before `before`. */
export interface KeyRange {
  /** The listing prefix (S3's `Prefix`). */
  prefix: string;
  /** List only keys after this one (S3's `StartAfter`, sent with the first page only). */
  startAfter?: string;
  /** Stop at the first key at or after this one; the rest of the prefix otherwise. */
  before?: string;
  /**
   * Leave out keys last written after this time (epoch ms, compared with the listing's `LastModified`): a fan-out
   * shard's audience boundary. Every key when omitted.
   */
  writtenBy?: number;
}

// --- Connections: `<prefix>/~<bb>/<connectionId>` ---

/**
 * The key of a connection: `<prefix>/~<bb>/<connectionId>`, empty body.
 * @param prefix - the store's prefix, without a trailing slash
 * @param connectionId - the connection
 */
export function connectionKey(prefix: string, connectionId: string): string {
  return `${prefix}/${bucketSegment(bucketOf(connectionId))}/${connectionId}`;
}

/**
 * The connection id a key of the store names, in either layout (`<prefix>/~<bb>/<id>` or the flat
 * `<prefix>/<id>`), for tools that list the bucket themselves (the benchmark's baselines, tests).
 * @param prefix - the store's prefix, without a trailing slash
 * @param key - a key under `<prefix>/`
 * @returns the id, or undefined for the prefix's folder object
 */
export function connectionIdOfKey(prefix: string, key: string): string | undefined {
  const rest = key.slice(prefix.length + 1);
  const bucketLength = bucketSegment(0).length;
  const id = rest.startsWith(BUCKET_MARK) && rest[bucketLength] === "/" ? rest.slice(bucketLength + 1) : rest;
  return id === "" ? undefined : id;
}

/**
 * The key a connection had in the flat layout: `<prefix>/<connectionId>`.
 * @param prefix - the store's prefix, without a trailing slash
 * @param connectionId - the connection
 */
export function flatKey(prefix: string, connectionId: string): string {
  return `${prefix}/${connectionId}`;
}

/**
 * The listing of some buckets under a root (`<something>/`): from the first bucket's segment to the segment after
 * the last bucket (the end of the root for the last bucket). Shared by both layouts.
 * @param root - the listing root, with its trailing slash
 * @param range - the buckets
 */
export function bucketKeyRange(root: string, range: BucketRange): KeyRange {
  return {
    prefix: root,
    // `<root>~0a` sorts just before every `<root>~0a/...` key.
    startAfter: `${root}${bucketSegment(range.from)}`,
    before: range.to >= BUCKET_COUNT ? undefined : `${root}${bucketSegment(range.to)}`,
  };
}

// --- Channel memberships ---

/*
 * - `channel-members/<enc(channel)>/~<bb>/<enc(connectionId)>`: who is in a channel, spread over the 256 buckets
 *   (`bb` = the connection's bucket), so that the shards of a large publish each list their own part
 *   of one channel. A publish lists exactly one channel. (No flat member keys were ever written: channels shipped
 *   with this layout, so there is nothing to migrate.)
 * - `connection-channels/<enc(connectionId)>/<enc(channel)>`: the reverse index. `$disconnect` and a 410 list one
 *   connection's channels instead of scanning every channel.
 *
 * Both parts of each key are encoded as one path segment (see {@link encodeKeySegment}), so listing the prefix
 * `channel-members/news/` can never return the members of `news/sport` (`channel-members/news%2Fsport/...`).
 */

/** Prefix of the per-channel member keys (a sibling of the connection prefix, never under it). */
export const CHANNEL_MEMBERS_PREFIX = "channel-members";

/** Prefix of the per-connection reverse index. */
export const CONNECTION_CHANNELS_PREFIX = "connection-channels";

/**
 * Encodes a channel name or a connection id as one key segment: `encodeURIComponent` (which turns `/`, `+` and
 * `=` into `%2F`, `%2B`, `%3D`), plus `.` as `%2E`. The channel grammar allows `.` and `..` as segments, and S3's
 * object-key guidelines warn that keys with `./` or `../` are mangled by tools that normalise URL paths (path-style
 * requests put the key in the path).
 * @param value - a channel name or a connection id
 */
export function encodeKeySegment(value: string): string {
  return encodeURIComponent(value).replaceAll(".", "%2E");
}

/**
 * Reverses {@link encodeKeySegment}.
 * @param segment - an encoded segment
 * @returns the value, or undefined when the segment is not a valid encoding (a key someone else wrote)
 */
export function decodeKeySegment(segment: string): string | undefined {
  if (segment === "" || segment.includes("/")) return undefined;
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/**
 * The listing prefix of one channel's members, trailing slash included (every bucket).
 * @param channel - a valid channel name
 */
export function channelMembersPrefix(channel: string): string {
  return `${CHANNEL_MEMBERS_PREFIX}/${encodeKeySegment(channel)}/`;
}

/**
 * The listing prefix of one connection's channels, trailing slash included.
 * @param connectionId - the connection
 */
export function connectionChannelsPrefix(connectionId: string): string {
  return `${CONNECTION_CHANNELS_PREFIX}/${encodeKeySegment(connectionId)}/`;
}

/**
 * The key saying that `connectionId` is a member of `channel`.
 * @param channel - the channel
 * @param connectionId - the connection
 */
export function memberKey(channel: string, connectionId: string): string {
  return `${channelMembersPrefix(channel)}${bucketSegment(bucketOf(connectionId))}/${encodeKeySegment(connectionId)}`;
}

/**
 * The listing of one channel's members in some buckets (see {@link bucketKeyRange}).
 * @param channel - a valid channel name
 * @param range - the buckets
 */
export function channelMembersRange(channel: string, range: BucketRange): KeyRange {
  return bucketKeyRange(channelMembersPrefix(channel), range);
}

/**
 * The connection id a member key names, or undefined for a key of another shape (a folder object, a key someone
 * else wrote).
 * @param channel - the channel listed
 * @param key - a key under {@link channelMembersPrefix}
 */
export function memberIdOfKey(channel: string, key: string): string | undefined {
  const rest = key.slice(channelMembersPrefix(channel).length);
  const slash = rest.indexOf("/");
  if (slash !== bucketSegment(0).length) return undefined;
  return decodeKeySegment(rest.slice(slash + 1));
}

/**
 * The reverse-index key saying that `connectionId` joined `channel`.
 * @param connectionId - the connection
 * @param channel - the channel
 */
export function reverseKey(connectionId: string, channel: string): string {
  return `${connectionChannelsPrefix(connectionId)}${encodeKeySegment(channel)}`;
}

// --- Channel history: `channel-history/<enc(channel)>/<epoch key>/<offset key>` ---

/*
 * One object per message of a channel that keeps history; its body is the channel frame with its position, as it
 * was sent. The epoch and the offset are written inverted (the largest value first) in fixed-width base 36, so that a
 * channel's newest message is the first key of its prefix: one ListObjectsV2 with MaxKeys 1 finds the head, whatever
 * the retention. The key names its position, so the write that claims a position is a PutObject with
 * `If-None-Match: *` on that key (src/stores/history.ts).
 */

/** Prefix of the channel history (a sibling of the connection prefix, never under it). */
export const CHANNEL_HISTORY_PREFIX = "channel-history";

/**
 * Base-36 digits of an inverted epoch (hours since 1970) and of an inverted offset: an offset up to 36^10 - 1, some
 * 3.6e15 messages, below `Number.MAX_SAFE_INTEGER`.
 */
const EPOCH_DIGITS = MAX_EPOCH_LENGTH;
const OFFSET_DIGITS = 10;
/** A key of one channel's history, after its prefix: the inverted epoch, a slash, the inverted offset. */
const HISTORY_KEY = /* @__PURE__ */ new RegExp(`^([0-9a-z]{${EPOCH_DIGITS}})/([0-9a-z]{${OFFSET_DIGITS}})$`);

/**
 * The listing prefix of one channel's history, trailing slash included.
 * @param channel - a valid channel name
 */
export function historyPrefix(channel: string): string {
  return `${CHANNEL_HISTORY_PREFIX}/${encodeKeySegment(channel)}/`;
}

/**
 * The listing prefix of one epoch of a channel's history, trailing slash included: its newest message first.
 * @param channel - a valid channel name
 * @param epoch - the epoch, at most 6 base-36 digits
 */
export function historyEpochPrefix(channel: string, epoch: string): string {
  return `${historyPrefix(channel)}${invert(Number.parseInt(epoch, 36), EPOCH_DIGITS)}/`;
}

/**
 * The key of the message at a position.
 * @param channel - the channel
 * @param position - an epoch of at most 6 base-36 digits and an offset from 1 to 36^10 - 1
 */
export function historyKey(channel: string, position: Position): string {
  return `${historyEpochPrefix(channel, position.epoch)}${invert(position.offset, OFFSET_DIGITS)}`;
}

/**
 * The position a key of a channel's history names, or undefined for a key of another shape.
 * @param channel - the channel listed
 * @param key - a key under {@link historyPrefix}
 */
export function positionOfHistoryKey(channel: string, key: string): Position | undefined {
  const match = HISTORY_KEY.exec(key.slice(historyPrefix(channel).length));
  if (match === null) return undefined;
  const epoch = revert(match[1] as string, EPOCH_DIGITS);
  const offset = revert(match[2] as string, OFFSET_DIGITS);
  return offset < 1 ? undefined : { epoch: epoch.toString(36), offset };
}

/** `36^digits - 1 - value` in `digits` base-36 digits: larger values sort first. */
function invert(value: number, digits: number): string {
  return (36 ** digits - 1 - value).toString(36).padStart(digits, "0");
}

function revert(text: string, digits: number): number {
  return 36 ** digits - 1 - Number.parseInt(text, 36);
}
