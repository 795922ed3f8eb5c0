/**
 * The emulator's ordered listing index (util/local-stack/emulator/fidelity/list-order.ts): pages in S3's order
 * whatever the keys, prefix, delimiter, start and page size, stays right through writes and deletes, and lists a
 * page without reading the rest of the bucket.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  fixFauxqsListOrder,
  listPage,
  OrderedKeyMap,
} from "../../../util/local-stack/emulator/fidelity/list-order.js";
import { newS3Store } from "./fauxqs-store.js";

interface Stored {
  key: string;
}

/** S3's answer, the slow way: every key filtered and sorted, then the page cut. */
function reference(
  keys: readonly string[],
  prefix: string,
  delimiter: string,
  startAfter: string,
  maxKeys: number,
) {
  const entries = new Map<string, boolean>();
  for (const key of keys) {
    if (!key.startsWith(prefix)) continue;
    const cut = delimiter === "" ? -1 : key.indexOf(delimiter, prefix.length);
    const entry = cut < 0 ? key : key.slice(0, cut + delimiter.length);
    if (startAfter === "" || entry > startAfter) entries.set(entry, cut >= 0);
  }
  const sorted = [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const page = sorted.slice(0, maxKeys);
  return {
    objects: page.filter(([, common]) => !common).map(([key]) => key),
    commonPrefixes: page.filter(([, common]) => common).map(([key]) => key),
    isTruncated: sorted.length > maxKeys,
  };
}

function mapOf(keys: readonly string[]): OrderedKeyMap<Stored> {
  return new OrderedKeyMap(keys.map((key) => [key, { key }] as const));
}

/** Keys like the stores' and their neighbours: mixed case, `=`, `+`, `/`, `~`, `-`, `_`, `.`. */
const key = fc.stringMatching(/^[aAbB0/~=+_.-]{0,6}$/);

describe("listPage over the ordered index", () => {
  it("answers every listing as S3 does: code-unit order, prefix, delimiter, start-after, page size", () => {
    fc.assert(
      fc.property(
        fc.array(key, { maxLength: 40 }),
        fc.constantFrom("", "a", "a/", "A", "~"),
        fc.constantFrom("", "/"),
        fc.oneof(fc.constantFrom("", "a", "a/", "A", "~"), key),
        fc.integer({ min: 1, max: 8 }),
        (keys, prefix, delimiter, startAfter, maxKeys) => {
          // Prepare
          const objects = mapOf(keys);
          // Act
          const page = listPage(objects, { prefix, delimiter, startAfter, maxKeys });
          // Assess
          expect({ ...page, objects: page.objects.map((o) => o.key) }).toEqual(
            reference(keys, prefix, delimiter, startAfter, maxKeys),
          );
        },
      ),
      // A key equal to the prefix and the start: listed before, so not again.
      { examples: [[["a/", "a/b", "a/c/d"], "a/", "", "a/", 5]] },
    );
  });

  it("pages through every key once, in order, while keys are written and deleted between pages", () => {
    // Prepare
    const objects = mapOf(["active/aB=", "active/Ab=", "active/a-b", "active/a_b", "active/A=", "active/b"]);
    const listed: string[] = [];
    // Act: a page of two, then a key written behind the cursor and one ahead, one deleted ahead
    let page = listPage(objects, { prefix: "active/", maxKeys: 2 });
    listed.push(...page.objects.map((o) => o.key));
    objects.set("active/A+", { key: "active/A+" });
    objects.set("active/c", { key: "active/c" });
    objects.delete("active/aB=");
    objects.set("active/b", { key: "active/b" });
    while (page.isTruncated) {
      page = listPage(objects, { prefix: "active/", maxKeys: 2, startAfter: listed.at(-1) as string });
      listed.push(...page.objects.map((o) => o.key));
    }
    // Assess
    expect(listed).toEqual(["active/A=", "active/Ab=", "active/a-b", "active/a_b", "active/b", "active/c"]);
    expect(objects.sorted).toEqual([...objects.keys()].sort());
    objects.clear();
    expect([objects.sorted, objects.size]).toEqual([[], 0]);
  });

  it("reads only the page's objects: no pass over the bucket", () => {
    // Prepare: 5,000 keys, and a map that counts what is read of it
    let reads = 0;
    const objects = mapOf(Array.from({ length: 5000 }, (_, i) => `active-connections/~${i.toString(16)}`));
    const get = objects.get.bind(objects);
    objects.get = (k: string) => {
      reads += 1;
      return get(k);
    };
    for (const name of ["values", "keys", "entries", "forEach", Symbol.iterator] as const) {
      Object.defineProperty(objects, name, {
        value: () => {
          throw new Error(`listPage iterated the bucket (${String(name)})`);
        },
      });
    }
    // Act
    const page = listPage(objects, {
      prefix: "active-connections/",
      startAfter: "active-connections/~f00",
      maxKeys: 10,
    });
    // Assess
    expect(page.objects).toHaveLength(10);
    expect(reads).toBe(10);
  });
});

describe("fixFauxqsListOrder", () => {
  it("indexes fauxqs's buckets: writes, deletes and emptying keep the index, and listObjects pages through it", async () => {
    // Prepare
    await fixFauxqsListOrder();
    const store = await newS3Store();
    store.createBucket("bucket-one");
    for (const k of ["b", "A", "a", "B"]) store.putObject("bucket-one", k, Buffer.alloc(0));
    // Act
    store.deleteObject("bucket-one", "a");
    const listed = store.listObjects("bucket-one", { maxKeys: 10 }).objects.map((o) => o.key);
    const index = store.buckets.get("bucket-one");
    store.emptyBucket("bucket-one");
    const emptied = store.listObjects("bucket-one", {}).objects;
    // Assess
    expect(index).toBeInstanceOf(OrderedKeyMap);
    expect(listed).toEqual(["A", "B", "b"]);
    expect(emptied).toEqual([]);
  });
});
