/**
 * The one S3 helper the stores use: every call wrapped in one error type, the paged listing of a key range,
 * DeleteObjects in batches with its 200-with-`Errors` case caught, so that no store can forget it, and the
 * conditional write that claims a key.
 */
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
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
   * Writes an object only if its key is free: PutObject with `If-None-Match: *`, S3's conditional write ("How to
   * prevent object overwrites with conditional writes", S3 User Guide; generally available since August 2024).
   * S3 answers 412 PreconditionFailed when the key exists, and 409 ConditionalRequestConflict when another write
   * of the key is in flight (retry it).
   * @param key - its key
   * @param body - its bytes
   * @returns `written`, `taken` (the key exists) or `conflict` (a concurrent write of the key; try again)
   */
  async putIfAbsent(key: string, body: Uint8Array): Promise<"written" | "taken" | "conflict"> {
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.name,
          Key: key,
          Body: body,
          ContentLength: body.byteLength,
          ContentType: "application/json",
          IfNoneMatch: "*",
        }),
      );
      return "written";
    } catch (error) {
      const status = statusOf(error);
      if (status === 412) return "taken";
      if (status === 409) return "conflict";
      throw storeError("PutObject", key, this.name, error);
    }
  }

  /**
   * Reads an object's bytes. S3 answers 404 for a missing key only to a caller that may list the bucket; the role's
   * ListBucket is limited by `s3:prefix`, which a GetObject does not carry, so a missing key may answer 403: list
   * first and read what the listing found.
   * @param key - its key
   * @returns the bytes, or undefined when S3 says there is no such key (404)
   */
  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      const output = await this.client.send(new GetObjectCommand({ Bucket: this.name, Key: key }));
      return await output.Body?.transformToByteArray();
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw storeError("GetObject", key, this.name, error);
    }
  }

  /**
   * The first keys under a prefix, in S3's order: one ListObjectsV2.
   * @param prefix - the prefix
   * @param count - how many, 1 to 1,000
   * @param startAfter - list only the keys after this one
   */
  async firstKeys(prefix: string, count: number, startAfter?: string): Promise<string[]> {
    const output = await this.call("ListObjectsV2", prefix, () =>
      this.client.send(
        new ListObjectsV2Command({
          Bucket: this.name,
          Prefix: prefix,
          MaxKeys: count,
          StartAfter: startAfter,
        }),
      ),
    );
    return (output.Contents ?? []).flatMap((object) => (object.Key === undefined ? [] : [object.Key]));
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
      throw storeError(operation, subject, this.name, error);
    }
  }
}

function storeError(operation: string, subject: string, bucket: string, error: unknown): StoreError {
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new StoreError(operation, `S3 ${operation} failed for ${subject} in ${bucket}: ${reason}`, {
    cause: error,
  });
}

/** The HTTP status of an SDK error, if it has one. */
function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}
