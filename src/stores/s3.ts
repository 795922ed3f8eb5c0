/**
 * The one S3 helper both stores use: every call wrapped in one error type, the paged listing of a key range, and
 * DeleteObjects in batches with its 200-with-`Errors` case caught, so that neither store can forget it.
 */
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import type { KeyRange } from "../contract/storage.js";

/** S3 caps ListObjectsV2 pages (and DeleteObjects batches) at 1,000 keys. */
const S3_PAGE_SIZE = 1000;

/** A store's S3 call failed. `operation` names the S3 call; `cause` is the SDK's error. */
export class StoreError extends Error {
  override readonly name = "StoreError";

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

/** One bucket of the stores, with the few calls they make, each failing as a {@link StoreError}. */
export class S3Bucket {
  /**
   * @param client - the S3 client
   * @param name - the bucket name
   */
  constructor(
    private readonly client: S3Client,
    readonly name: string,
  ) {}

  /**
   * Writes an empty object.
   * @param key - its key
   */
  async putEmpty(key: string): Promise<void> {
    // Without an explicit ContentLength the SDK sends no content-length for an empty body and prints a
    // "Stream of unknown length" warning, a stray non-JSON line in the Lambda's log for every write.
    await this.call("PutObject", key, () =>
      this.client.send(new PutObjectCommand({ Bucket: this.name, Key: key, Body: "", ContentLength: 0 })),
    );
  }

  /**
   * Deletes one object; S3 answers 204 for a missing key, so this is idempotent without a HeadObject.
   * @param key - its key
   */
  async delete(key: string): Promise<void> {
    await this.call("DeleteObject", key, () =>
      this.client.send(new DeleteObjectCommand({ Bucket: this.name, Key: key })),
    );
  }

  /**
   * Deletes keys in DeleteObjects batches of at most 1,000, one batch after the other. DeleteObjects answers 200 even
   * when some keys failed and lists them in `Errors`; that case fails here too.
   * @param keys - the keys (a missing key counts as deleted)
   */
  async deleteMany(keys: readonly string[]): Promise<void> {
    for (let start = 0; start < keys.length; start += S3_PAGE_SIZE) {
      const batch = keys.slice(start, start + S3_PAGE_SIZE);
      const output = await this.call("DeleteObjects", `${batch.length} keys`, () =>
        this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.name,
            Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
          }),
        ),
      );
      const errors = output.Errors ?? [];
      if (errors.length > 0) {
        const first = errors[0];
        throw new StoreError(
          "DeleteObjects",
          `DeleteObjects failed for ${errors.length} of ${batch.length} keys in ${this.name} (first: ${first?.Key} ${first?.Code} ${first?.Message})`,
        );
      }
    }
  }

  /**
   * Whether an object exists, read with a one-key listing. HeadObject would need `s3:GetObject` as well, and answers
   * 403 rather than 404 for a missing key when the role's `s3:ListBucket` is limited to prefixes (S3's rule: the
   * 404 is only for callers who may list the bucket), so a listing under the permission the stores already hold
   * says it plainly. S3 lists with strong read-after-write consistency: a write that has returned is listed.
   * @param key - the key
   */
  async has(key: string): Promise<boolean> {
    const output = await this.call("ListObjectsV2", key, () =>
      this.client.send(new ListObjectsV2Command({ Bucket: this.name, Prefix: key, MaxKeys: 1 })),
    );
    // Keys that extend `key` sort after it, so `key` itself, when it exists, is the first one listed.
    return output.Contents?.[0]?.Key === key;
  }

  /**
   * Lists the keys of one range a page at a time. S3 has no end key, so the listing stops by itself at the first
   * key at or past `before`: at most one page is read beyond the range, and only its front part is used.
   * @param range - the keys to list
   */
  async *list(range: KeyRange): AsyncIterable<string[]> {
    let token: string | undefined;
    do {
      const output = await this.call("ListObjectsV2", range.prefix, () =>
        this.client.send(
          new ListObjectsV2Command({
            Bucket: this.name,
            Prefix: range.prefix,
            MaxKeys: S3_PAGE_SIZE,
            ContinuationToken: token,
            // S3 ignores StartAfter once a continuation token is given, so it only places the first page.
            StartAfter: token === undefined ? range.startAfter : undefined,
          }),
        ),
      );
      const keys: string[] = [];
      let ended = false;
      for (const object of output.Contents ?? []) {
        const key = object.Key;
        if (key === undefined) continue;
        if (range.before !== undefined && key >= range.before) {
          ended = true;
          break;
        }
        const written = object.LastModified?.getTime();
        if (range.writtenBy !== undefined && written !== undefined && written > range.writtenBy) continue;
        keys.push(key);
      }
      yield keys;
      token = !ended && output.IsTruncated ? output.NextContinuationToken : undefined;
    } while (token);
  }

  private async call<T>(operation: string, subject: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new StoreError(operation, `S3 ${operation} failed for ${subject} in ${this.name}: ${reason}`, {
        cause: error,
      });
    }
  }
}
