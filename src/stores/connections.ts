import type { S3Client } from "@aws-sdk/client-s3";
import {
  ALL_BUCKETS,
  BUCKET_MARK,
  type BucketRange,
  bucketKeyRange,
  bucketSegment,
  connectionKey,
  flatKey,
  startsTheStore,
} from "../contract/storage.js";
import { S3Bucket } from "./s3.js";

/**
 * The connection store: one empty S3 object per live connection, in the layout of `src/contract/storage.ts`.
 */

/** The live connections: one entry per connection id. Removing a missing id is not an error. */
export interface ConnectionStore {
  /** Stores a connection. */
  add(connectionId: string): Promise<void>;
  /** Removes a connection; a missing one is fine. */
  remove(connectionId: string): Promise<void>;
  /** Removes many connections in as few calls as the store allows. */
  removeMany(connectionIds: readonly string[]): Promise<void>;
  /**
   * Lists the connection ids of some buckets (`src/contract/storage.ts`), a page at a time, so that a caller can start work
   * before the last page loads, and a fan-out shard lists its part without reading the rest.
   * @param range - the buckets to list; every bucket when omitted
   * @param writtenBy - leave out connections whose key was written after this time (epoch ms); all when omitted
   */
  pages(range?: BucketRange, writtenBy?: number): AsyncIterable<string[]>;
}

/** Options of {@link S3ConnectionStore}. */
export interface ConnectionStoreOptions {
  /**
   * Also read and remove keys of the flat layout (`<prefix>/<connectionId>`) that releases before the bucketed
   * layout wrote. On by default: those keys live until their connection closes or the bucket's lifecycle rule
   * expires them (within a day), and meanwhile they must still receive. Off saves one listing per fan-out and one
   * key per removal once no flat key is left.
   */
  readFlatKeys?: boolean;
}

/**
 * The connection store in S3: key `<prefix>/~<bb>/<connectionId>`, empty body, `bb` the id's bucket
 * (`src/contract/storage.ts`).
 * Keys of the earlier flat layout, `<prefix>/<connectionId>`, are still listed and removed (see
 * {@link ConnectionStoreOptions.readFlatKeys}); they all sort before the first bucket.
 */
export class S3ConnectionStore implements ConnectionStore {
  private readonly bucket: S3Bucket;
  private readonly readFlatKeys: boolean;

  /**
   * @param client - the S3 client
   * @param bucket - the bucket name
   * @param prefix - the key prefix, without a trailing slash
   * @param options - see {@link ConnectionStoreOptions}
   */
  constructor(
    client: S3Client,
    bucket: string,
    private readonly prefix: string,
    options: ConnectionStoreOptions = {},
  ) {
    this.bucket = new S3Bucket(client, bucket);
    this.readFlatKeys = options.readFlatKeys ?? true;
  }

  /** @inheritdoc */
  async add(connectionId: string): Promise<void> {
    await this.bucket.putEmpty(connectionKey(this.prefix, connectionId));
  }

  /** @inheritdoc */
  async remove(connectionId: string): Promise<void> {
    await this.removeMany([connectionId]);
  }

  /** @inheritdoc */
  async removeMany(connectionIds: readonly string[]): Promise<void> {
    // S3 answers a missing key as deleted, so the flat key of a connection that never had one costs nothing but
    // its place in the batch. One DeleteObjects per batch, also for a single id: both of its keys in one request.
    const keys = connectionIds.flatMap((id) =>
      this.readFlatKeys
        ? [connectionKey(this.prefix, id), flatKey(this.prefix, id)]
        : [connectionKey(this.prefix, id)],
    );
    await this.bucket.deleteMany(keys);
  }

  /** @inheritdoc */
  async *pages(range: BucketRange = ALL_BUCKETS, writtenBy?: number): AsyncIterable<string[]> {
    const root = `${this.prefix}/`;
    if (this.readFlatKeys && startsTheStore(range)) {
      // The flat layout's keys sort before the first bucket: list from the front of the prefix up to it.
      for await (const keys of this.bucket.list({
        prefix: root,
        before: `${root}${BUCKET_MARK}`,
        writtenBy,
      })) {
        // A console-made "folder" object `<prefix>/` has no id.
        yield keys.map((key) => key.slice(root.length)).filter((id) => id !== "");
      }
    }
    for await (const keys of this.bucket.list({ ...bucketKeyRange(root, range), writtenBy })) {
      yield keys.flatMap((key) => {
        const id = key.slice(root.length + bucketSegment(0).length + 1);
        return id === "" ? [] : [id];
      });
    }
  }
}
