import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";

/** The live connections: one entry per connection id. Removing a missing id is not an error. */
export interface ConnectionStore {
  /** Stores a connection. */
  add(connectionId: string): Promise<void>;
  /** Removes a connection; a missing one is fine. */
  remove(connectionId: string): Promise<void>;
  /** Removes many connections in as few calls as the store allows. */
  removeMany(connectionIds: readonly string[]): Promise<void>;
  /**
   * Lists the connection ids in key order, a page at a time, so that a caller can start work before the last page
   * loads.
   * @param startAfter - list only the ids after this one (S3's `StartAfter`), so that a fan-out can be split into
   *   slices; every id when omitted
   */
  pages(startAfter?: string): AsyncIterable<string[]>;
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

/** S3 caps both ListObjectsV2 pages and DeleteObjects batches at 1,000 keys. */
const S3_PAGE_SIZE = 1000;

/** The connection store in S3: key `<prefix>/<connectionId>`, empty body. */
export class S3ConnectionStore implements ConnectionStore {
  /**
   * @param client - the S3 client
   * @param bucket - the bucket name
   * @param prefix - the key prefix, without a trailing slash
   */
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
  ) {}

  /** @inheritdoc */
  async add(connectionId: string): Promise<void> {
    // Without an explicit ContentLength the SDK sends no content-length for an empty body and prints a
    // "Stream of unknown length" warning, a stray non-JSON line in the Lambda's log for every connection.
    await this.call("PutObject", connectionId, () =>
      this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.key(connectionId),
          Body: "",
          ContentLength: 0,
        }),
      ),
    );
  }

  /** @inheritdoc */
  async remove(connectionId: string): Promise<void> {
    // S3 answers 204 for a missing key, so this is idempotent without a prior HeadObject.
    await this.call("DeleteObject", connectionId, () =>
      this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(connectionId) })),
    );
  }

  /** @inheritdoc */
  async removeMany(connectionIds: readonly string[]): Promise<void> {
    for (let start = 0; start < connectionIds.length; start += S3_PAGE_SIZE) {
      const batch = connectionIds.slice(start, start + S3_PAGE_SIZE);
      const output = await this.call("DeleteObjects", `${batch.length} keys`, () =>
        this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: batch.map((id) => ({ Key: this.key(id) })), Quiet: true },
          }),
        ),
      );
      // DeleteObjects answers 200 even when some keys failed; the failures are listed in Errors.
      const failed = output.Errors ?? [];
      if (failed.length > 0) {
        const first = failed[0];
        throw new ConnectionStoreError(
          "DeleteObjects",
          `DeleteObjects failed for ${failed.length} of ${batch.length} keys (first: ${first?.Key} ${first?.Code} ${first?.Message})`,
        );
      }
    }
  }

  /** @inheritdoc */
  async *pages(startAfter?: string): AsyncIterable<string[]> {
    const keyPrefix = `${this.prefix}/`;
    let token: string | undefined;
    do {
      const output = await this.call("ListObjectsV2", keyPrefix, () =>
        this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: keyPrefix,
            MaxKeys: S3_PAGE_SIZE,
            ContinuationToken: token,
            // S3 ignores StartAfter once a continuation token is given, so it only places the first page.
            StartAfter: token === undefined && startAfter !== undefined ? this.key(startAfter) : undefined,
          }),
        ),
      );
      const ids: string[] = [];
      for (const object of output.Contents ?? []) {
        const id = object.Key?.slice(keyPrefix.length);
        // A console-made "folder" object `<prefix>/` has no id.
        if (id) ids.push(id);
      }
      yield ids;
      token = output.IsTruncated ? output.NextContinuationToken : undefined;
    } while (token);
  }

  private key(connectionId: string): string {
    return `${this.prefix}/${connectionId}`;
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
