import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import {
  ALL_BUCKETS,
  BUCKET_MARK,
  type BucketRange,
  bucketKeyRange,
  bucketSegment,
  connectionKey,
  flatKey,
  startsTheStore,
} from "./contract/storage.js";
import { deleteInBatches, listKeyRange } from "./s3-listing.js";

/** The live connections: one entry per connection id. Removing a missing id is not an error. */
export interface ConnectionStore {
  /** Stores a connection. */
  add(connectionId: string): Promise<void>;
  /** Removes a connection; a missing one is fine. */
  remove(connectionId: string): Promise<void>;
  /** Removes many connections in as few calls as the store allows. */
  removeMany(connectionIds: readonly string[]): Promise<void>;
  /**
   * Lists the connection ids of some buckets (see `shards.ts`), a page at a time, so that a caller can start work
   * before the last page loads, and a fan-out shard lists its part without reading the rest.
   * @param range - the buckets to list; every bucket when omitted
   */
  pages(range?: BucketRange): AsyncIterable<string[]>;
}

/** A connection store call failed. `operation` names the S3 call; `cause` is the SDK's error. */
export class ConnectionStoreError extends Error {
  override readonly name = "ConnectionStoreError";

  /**
   * @param operation - the S3 operation that failed
   * @param message - what failed
   * @param options - the SDK error
   */
  constructor(
    readonly operation: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
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
 * The connection store in S3: key `<prefix>/~<bb>/<connectionId>`, empty body, `bb` the id's bucket (`shards.ts`).
 * Keys of the earlier flat layout, `<prefix>/<connectionId>`, are still listed and removed (see
 * {@link ConnectionStoreOptions.readFlatKeys}); they all sort before the first bucket.
 */
export class S3ConnectionStore implements ConnectionStore {
  private readonly readFlatKeys: boolean;

  /**
   * @param client - the S3 client
   * @param bucket - the bucket name
   * @param prefix - the key prefix, without a trailing slash
   * @param options - see {@link ConnectionStoreOptions}
   */
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
    options: ConnectionStoreOptions = {},
  ) {
    this.readFlatKeys = options.readFlatKeys ?? true;
  }

  /** @inheritdoc */
  async add(connectionId: string): Promise<void> {
    // Without an explicit ContentLength the SDK sends no content-length for an empty body and prints a
    // "Stream of unknown length" warning, a stray non-JSON line in the Lambda's log for every connection.
    await this.call("PutObject", connectionId, () =>
      this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: connectionKey(this.prefix, connectionId),
          Body: "",
          ContentLength: 0,
        }),
      ),
    );
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
    await deleteInBatches(
      this.client,
      this.bucket,
      keys,
      (operation, subject, run) => this.call(operation, subject, run),
      (message) => new ConnectionStoreError("DeleteObjects", message),
    );
  }

  /** @inheritdoc */
  async *pages(range: BucketRange = ALL_BUCKETS): AsyncIterable<string[]> {
    const root = `${this.prefix}/`;
    if (this.readFlatKeys && startsTheStore(range)) {
      // The flat layout's keys sort before the first bucket: list from the front of the prefix up to it.
      for await (const keys of listKeyRange(
        this.client,
        this.bucket,
        { prefix: root, before: `${root}${BUCKET_MARK}` },
        (operation, subject, run) => this.call(operation, subject, run),
      )) {
        // A console-made "folder" object `<prefix>/` has no id.
        yield keys.map((key) => key.slice(root.length)).filter((id) => id !== "");
      }
    }
    for await (const keys of listKeyRange(
      this.client,
      this.bucket,
      bucketKeyRange(root, range),
      (operation, subject, run) => this.call(operation, subject, run),
    )) {
      yield keys.flatMap((key) => {
        const id = key.slice(root.length + bucketSegment(0).length + 1);
        return id === "" ? [] : [id];
      });
    }
  }

  private async call<T>(operation: string, subject: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new ConnectionStoreError(
        operation,
        `S3 ${operation} failed for ${subject} in ${this.bucket}: ${reason}`,
        {
          cause: error,
        },
      );
    }
  }
}
