import { DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import type { KeyRange } from "./contract/storage.js";

/** S3 caps ListObjectsV2 pages (and DeleteObjects batches) at 1,000 keys. */
export const S3_PAGE_SIZE = 1000;

/**
 * Lists the keys of one range a page at a time. S3 has no end key, so the listing stops by itself at the first
 * key at or past `before`: at most one page is read beyond the range, and only its front part is used.
 * @param client - the S3 client
 * @param bucket - the bucket
 * @param range - the keys to list
 * @param call - wraps each S3 call (the stores turn failures into their own errors)
 */
export async function* listKeyRange(
  client: S3Client,
  bucket: string,
  range: KeyRange,
  call: <T>(operation: string, subject: string, run: () => Promise<T>) => Promise<T>,
): AsyncIterable<string[]> {
  let token: string | undefined;
  do {
    const output = await call("ListObjectsV2", range.prefix, () =>
      client.send(
        new ListObjectsV2Command({
          Bucket: bucket,
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
      keys.push(key);
    }
    yield keys;
    token = !ended && output.IsTruncated ? output.NextContinuationToken : undefined;
  } while (token);
}

/**
 * Deletes keys in DeleteObjects batches of at most 1,000, one batch after the other. DeleteObjects answers 200 even
 * when some keys failed and lists them in `Errors`; that case is turned into an error here, so neither store can
 * forget it.
 * @param client - the S3 client
 * @param bucket - the bucket
 * @param keys - the keys (a missing key counts as deleted)
 * @param call - runs one request, wrapping an SDK error in the store's own error
 * @param failed - the store's error for a batch that listed failures
 */
export async function deleteInBatches(
  client: S3Client,
  bucket: string,
  keys: readonly string[],
  call: <T>(operation: string, subject: string, run: () => Promise<T>) => Promise<T>,
  failed: (message: string) => Error,
): Promise<void> {
  for (let start = 0; start < keys.length; start += S3_PAGE_SIZE) {
    const batch = keys.slice(start, start + S3_PAGE_SIZE);
    const output = await call("DeleteObjects", `${batch.length} keys`, () =>
      client.send(
        new DeleteObjectsCommand({
          Bucket: bucket,
          Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
        }),
      ),
    );
    const errors = output.Errors ?? [];
    if (errors.length > 0) {
      const first = errors[0];
      throw failed(
        `DeleteObjects failed for ${errors.length} of ${batch.length} keys in ${bucket} (first: ${first?.Key} ${first?.Code} ${first?.Message})`,
      );
    }
  }
}
