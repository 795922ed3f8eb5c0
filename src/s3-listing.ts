import { ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";

/** S3 caps ListObjectsV2 pages (and DeleteObjects batches) at 1,000 keys. */
export const S3_PAGE_SIZE = 1000;

/** One key range to list: the keys under `prefix` after `startAfter` and before `before`. */
export interface KeyRange {
  /** The listing prefix (S3's `Prefix`). */
  prefix: string;
  /** List only keys after this one (S3's `StartAfter`, sent with the first page only). */
  startAfter?: string;
  /** Stop at the first key at or after this one; the rest of the prefix otherwise. */
  before?: string;
}

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
