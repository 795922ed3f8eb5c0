/**
 * How the store is cut into parts that fan-out shards list on their own. Dependency-free, so that the key
 * layouts (`connections.ts`, `membership-keys.ts`), the dispatcher and `deployment/` share one definition.
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

/** Buckets of the key layout: fixed, so that keys never move. Two hex digits. */
export const BUCKET_COUNT = 256;

/** The first character of a bucket segment; sorts after every character of a connection id. */
export const BUCKET_MARK = "~";

/** The most shards a fan-out is cut into: one bucket each. */
export const MAX_SHARDS = BUCKET_COUNT;

/** A run of consecutive buckets: `from` included, `to` excluded, `0 <= from < to <= 256`. */
export interface BucketRange {
  /** The first bucket. */
  from: number;
  /** The bucket after the last one. */
  to: number;
}

/** Every bucket: what a fan-out in one invocation lists. */
export const ALL_BUCKETS: BucketRange = Object.freeze({ from: 0, to: BUCKET_COUNT });

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
