/**
 * fauxqs's S3 store class (loaded as the fidelity layer loads it: `loadFauxqsClass`), typed with the
 * few members the listing tests use. Whether its listing is patched is the caller's: this file patches nothing.
 */

import { loadFauxqsClass } from "../../../util/local-stack/emulator/fidelity/fauxqs-module.js";

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
  const S3Store = await loadFauxqsClass<new () => FauxqsS3Store>("./s3/s3Store.js", "S3Store");
  return new S3Store();
}
