/**
 * Every key under a prefix of a bucket, for the tools that read a stack's connection store from outside it (verify,
 * the bench, the soak, the tests). The function's own listing is `src/stores/s3.ts`.
 */
import { ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { connectionIdOfKey } from "../../src/contract/index.js";

/** How {@link keyPages} lists. */
export interface KeyPagesOptions {
  /** Keys a page (S3's `MaxKeys`); S3's default, 1,000, when absent. */
  pageSize?: number;
  /** Ends the listing: the call in flight rejects. */
  abortSignal?: AbortSignal;
}

/**
 * The keys under `prefix`, one ListObjectsV2 page at a time, in S3's order. The SDK's `paginateListObjectsV2`
 * takes no abort signal, which `util/verify` needs for its step timeouts.
 * @param s3 - the client
 * @param bucket - the bucket
 * @param prefix - the prefix
 * @param options - page size and abort signal
 */
export async function* keyPages(
  s3: S3Client,
  bucket: string,
  prefix: string,
  { pageSize, abortSignal }: KeyPagesOptions = {},
): AsyncGenerator<string[]> {
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        MaxKeys: pageSize,
        ContinuationToken: token,
      }),
      { abortSignal },
    );
    yield (page.Contents ?? []).flatMap((object) => (object.Key === undefined ? [] : [object.Key]));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

/**
 * Every key under `prefix`, in S3's order.
 * @param s3 - the client
 * @param bucket - the bucket
 * @param prefix - the prefix
 * @param options - page size and abort signal
 */
export async function listKeys(
  s3: S3Client,
  bucket: string,
  prefix: string,
  options?: KeyPagesOptions,
): Promise<string[]> {
  const keys: string[] = [];
  for await (const page of keyPages(s3, bucket, prefix, options)) keys.push(...page);
  return keys;
}

/** Lists the connection ids under the prefix (either key layout), one page (at most 1,000 keys) at a time. */
export async function* listConnectionIdPages(
  s3: S3Client,
  bucket: string,
  prefix: string,
): AsyncGenerator<string[]> {
  for await (const keys of keyPages(s3, bucket, `${prefix}/`))
    yield keys.flatMap((key) => connectionIdOfKey(prefix, key) ?? []);
}

/** Every connection id under the prefix (either key layout). */
export async function listConnectionIds(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const page of listConnectionIdPages(s3, bucket, prefix)) ids.push(...page);
  return ids;
}
