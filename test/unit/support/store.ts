import { ALL_BUCKETS, type BucketRange, bucketOf } from "../../../src/contract/index.js";
import type { ConnectionStore } from "../../../src/stores/connections.js";

/**
 * An in-memory connection store that hands out its ids in pages of `pageSize` and records removals. Like the S3
 * store it lists bucket by bucket (`shards.ts`), ids sorted within a bucket.
 */
export class MemoryStore implements ConnectionStore {
  readonly ids: Set<string>;
  readonly removeManyCalls: string[][] = [];

  constructor(
    ids: Iterable<string>,
    private readonly pageSize = 1000,
  ) {
    this.ids = new Set(ids);
  }

  async add(connectionId: string): Promise<void> {
    this.ids.add(connectionId);
  }
  async remove(connectionId: string): Promise<void> {
    this.ids.delete(connectionId);
  }
  async removeMany(connectionIds: readonly string[]): Promise<void> {
    this.removeManyCalls.push([...connectionIds]);
    for (const id of connectionIds) this.ids.delete(id);
  }
  async *pages(range: BucketRange = ALL_BUCKETS): AsyncIterable<string[]> {
    const all = [...this.ids]
      .filter((id) => bucketOf(id) >= range.from && bucketOf(id) < range.to)
      .sort((a, b) => bucketOf(a) - bucketOf(b) || (a < b ? -1 : a > b ? 1 : 0));
    for (let start = 0; start < all.length; start += this.pageSize)
      yield all.slice(start, start + this.pageSize);
  }
}

/** `count` distinct connection ids shaped like API Gateway's. */
export function connectionIds(count: number, tag = "c"): string[] {
  return Array.from({ length: count }, (_, index) => `${tag}${index.toString().padStart(6, "0")}AbC=`);
}

/**
 * Every page of a listing.
 * @param pages - the listing
 */
export async function collect(pages: AsyncIterable<string[]>): Promise<string[][]> {
  const all: string[][] = [];
  for await (const page of pages) all.push(page);
  return all;
}
