/**
 * fauxqs's S3 store class, loaded by URL beside the package entry (it is not among fauxqs's exports), typed with the
 * few members the listing tests use. Whether its listing is patched is the caller's: this file patches nothing.
 */

/** The store's members the tests use. */
export interface FauxqsS3Store {
  buckets: Map<string, Map<string, { key: string }>>;
  createBucket(name: string): void;
  putObject(bucket: string, key: string, body: Buffer): void;
  deleteObject(bucket: string, key: string): void;
  emptyBucket(name: string): void;
  listObjects(bucket: string, options: object): { objects: Array<{ key: string }>; isTruncated: boolean };
}

/** A new, empty store. */
export async function newS3Store(): Promise<FauxqsS3Store> {
  const storeUrl = new URL("./s3/s3Store.js", import.meta.resolve("fauxqs")).href;
  const { S3Store } = (await import(storeUrl)) as { S3Store: new () => FauxqsS3Store };
  return new S3Store();
}
