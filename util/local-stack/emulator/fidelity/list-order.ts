/**
 * S3 listings as S3 makes them: in order, and without reading the whole bucket for each page.
 *
 * fauxqs (1.9.2 to 2.4.1, checked by canaries in test/local-stack/emulator/fauxqs-upstream.test.ts) lists wrongly
 * and slowly. `S3Store.listObjects` sorts keys with `localeCompare` (case-insensitive first, punctuation ignored) but
 * skips to the continuation point with `<=` (code-unit order): with mixed-case keys such as API Gateway connection
 * ids (`Ek02Ofq8IAMCEyw=`), pages overlap and skip keys (measured 2,305 ids listed for 2,300 keys). Real S3 lists in
 * UTF-8 binary order. And it filters and sorts every key of the bucket on every page, so listing N keys costs N
 * pages x N log N: 10,000 connections beside their 20,000 membership keys took about 0.5 s of the gateway's event
 * loop per listing, which the benchmark then measured as the function's time.
 *
 * Here each bucket's key map keeps its keys sorted as they are written and deleted ({@link OrderedKeyMap}), and
 * `listObjects` pages through that index by binary search: one page costs log N plus the page. The order is code
 * units: the same as UTF-8 binary order for the ASCII keys S3 users almost always have. Upstream report:
 * docs/upstream/fauxqs-list-index.md.
 */

import { loadFauxqsClass } from "./fauxqs-module.js";

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

/** The part of fauxqs's store the index replaces and reads. */
interface Store {
  buckets: Map<string, Map<string, StoredObject>>;
}

type Method = (this: Store, ...args: never[]) => unknown;

const FIXED = Symbol.for("fanout.fauxqsListOrderFixed");

/**
 * The first position in `sorted` whose key is at least `key` (or, with `after`, greater than it).
 * @param sorted - keys in code-unit order
 * @param key - the key sought
 * @param after - find the first key after `key` rather than at it
 */
function searchKeys(sorted: readonly string[], key: string, after = false): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    const at = sorted[mid] as string;
    if (at < key || (after && at === key)) low = mid + 1;
    else high = mid;
  }
  return low;
}

/**
 * A bucket's objects by key, which also keeps the keys in code-unit order: every write and delete of fauxqs goes
 * through `set`, `delete` and `clear`, so the index never goes stale whichever store method made the change.
 */
export class OrderedKeyMap<V> extends Map<string, V> {
  /** The keys, sorted. */
  readonly sorted: string[] = [];

  /**
   * @param entries - the bucket's objects so far
   */
  constructor(entries?: Iterable<readonly [string, V]>) {
    super();
    for (const [key, value] of entries ?? []) this.set(key, value);
  }

  override set(key: string, value: V): this {
    if (!this.has(key)) this.sorted.splice(searchKeys(this.sorted, key), 0, key);
    return super.set(key, value);
  }

  override delete(key: string): boolean {
    if (!super.delete(key)) return false;
    this.sorted.splice(searchKeys(this.sorted, key), 1);
    return true;
  }

  override clear(): void {
    super.clear();
    this.sorted.length = 0;
  }
}

/**
 * One page of a listing through a bucket's index, as S3 pages: keys and common prefixes (with a delimiter) in one
 * order, after `startAfter` (or `marker`), at most `maxKeys` of them, `isTruncated` when more follow.
 * @param objects - the bucket's indexed objects
 * @param options - prefix, delimiter, page size and start
 */
export function listPage(objects: OrderedKeyMap<StoredObject>, options: ListOptions = {}): ListResult {
  const prefix = options.prefix ?? "";
  const delimiter = options.delimiter ?? "";
  const maxKeys = options.maxKeys ?? 1000;
  const startAfter = options.startAfter ?? options.marker ?? "";
  const { sorted } = objects;
  const result: ListResult = { objects: [], commonPrefixes: [], isTruncated: false };
  let index =
    startAfter !== "" && startAfter >= prefix
      ? searchKeys(sorted, startAfter, true)
      : searchKeys(sorted, prefix);
  while (index < sorted.length) {
    const key = sorted[index] as string;
    if (!key.startsWith(prefix)) break;
    const cut = delimiter === "" ? -1 : key.indexOf(delimiter, prefix.length);
    const common = cut < 0 ? undefined : key.slice(0, cut + delimiter.length);
    if (result.objects.length + result.commonPrefixes.length >= maxKeys) {
      result.isTruncated = true;
      break;
    }
    if (common === undefined) {
      result.objects.push(objects.get(key) as StoredObject);
      index += 1;
    } else {
      // A common prefix at or before the start was listed on an earlier page; either way skip all its keys.
      if (common > startAfter) result.commonPrefixes.push(common);
      index = searchKeys(sorted, `${common}\uffff`);
    }
  }
  return result;
}

/**
 * Patches fauxqs's S3 store class once per process (the class is shared by every emulator of the process): new
 * buckets get an {@link OrderedKeyMap}, and `listObjects` pages through it ({@link listPage}).
 */
export async function fixFauxqsListOrder(): Promise<void> {
  const S3Store = await loadFauxqsClass<{ prototype: Record<string | symbol, unknown> }>(
    "./s3/s3Store.js",
    "S3Store",
  );
  const proto = S3Store.prototype;
  if (proto[FIXED]) return;
  const createBucket = proto.createBucket as Method | undefined;
  const listObjects = proto.listObjects as Method | undefined;
  if (typeof createBucket !== "function" || typeof listObjects !== "function") {
    throw new Error("fauxqs changed: S3Store.createBucket or S3Store.listObjects is gone");
  }
  proto.createBucket = function (this: Store, ...args: never[]) {
    const created = createBucket.apply(this, args);
    indexed(this, (args as unknown[])[0] as string);
    return created;
  };
  proto.listObjects = function (this: Store, ...args: never[]) {
    const [bucket, options] = args as unknown as [string, ListOptions | undefined];
    // A bucket fauxqs does not know: its own error (NoSuchBucket) is the answer.
    if (!this.buckets.has(bucket)) return listObjects.apply(this, args);
    return listPage(indexed(this, bucket), options);
  };
  proto[FIXED] = true;
}

/** The bucket's map as an {@link OrderedKeyMap}, replacing a plain one (a bucket made before the patch) once. */
function indexed(store: Store, bucket: string): OrderedKeyMap<StoredObject> {
  const objects = store.buckets.get(bucket);
  if (objects instanceof OrderedKeyMap) return objects as OrderedKeyMap<StoredObject>;
  const index = new OrderedKeyMap(objects ?? []);
  store.buckets.set(bucket, index);
  return index;
}
