/**
 * fauxqs (1.9.2 to 2.4.1, checked by a canary in test/local-stack/emulator/fauxqs-upstream.test.ts) pages S3
 * listings wrongly: `S3Store.listObjects` sorts keys with `localeCompare` (case-insensitive first, punctuation
 * ignored) but skips to the continuation point with `<=` (code-unit order). With mixed-case keys such as API Gateway
 * connection ids (`Ek02Ofq8IAMCEyw=`), pages overlap and skip keys: measured 2,305 ids listed for 2,300 keys. Real S3 lists in UTF-8 binary order. This wraps the method so that it sorts and pages in one
 * order (code units: the same as UTF-8 binary order for the ASCII keys S3 users almost always have).
 */

interface StoredObject {
  key: string;
}

interface ListOptions {
  prefix?: string;
  delimiter?: string;
  maxKeys?: number;
  startAfter?: string;
  marker?: string;
}

interface ListResult {
  objects: StoredObject[];
  commonPrefixes: string[];
  isTruncated: boolean;
}

type ListObjects = (this: unknown, bucket: string, options?: ListOptions) => ListResult;

const FIXED = Symbol.for("fanout.fauxqsListOrderFixed");

/** Patches fauxqs's S3 store class once per process (the class is shared by every emulator of the process). */
export async function fixFauxqsListOrder(): Promise<void> {
  // The store is not among fauxqs's exports; it is loaded by URL beside the package entry, which gives the very
  // module instance that `buildApp` uses.
  const storeUrl = new URL("./s3/s3Store.js", import.meta.resolve("fauxqs")).href;
  const { S3Store } = (await import(storeUrl)) as {
    S3Store: { prototype: Record<string | symbol, unknown> };
  };
  const proto = S3Store.prototype;
  const original = proto.listObjects as ListObjects | undefined;
  if (proto[FIXED]) return;
  if (typeof original !== "function") throw new Error("fauxqs changed: S3Store.listObjects is gone");
  const listObjects: ListObjects = function (bucket, options = {}) {
    const maxKeys = options.maxKeys ?? 1000;
    const startAfter = options.startAfter ?? options.marker ?? "";
    const all = original.call(this, bucket, {
      prefix: options.prefix,
      delimiter: options.delimiter,
      maxKeys: Number.MAX_SAFE_INTEGER,
    });
    const entries = [
      ...all.objects.map((object) => ({ key: object.key, object })),
      ...all.commonPrefixes.map((key) => ({ key, object: undefined })),
    ]
      .filter((entry) => entry.key > startAfter)
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const page = entries.slice(0, maxKeys);
    return {
      objects: page.flatMap((entry) => (entry.object ? [entry.object] : [])),
      commonPrefixes: page.flatMap((entry) => (entry.object ? [] : [entry.key])),
      isTruncated: entries.length > maxKeys,
    };
  };
  proto.listObjects = listObjects;
  proto[FIXED] = true;
}
