import { describe, expect, it } from "vitest";
import {
  ALL_BUCKETS,
  BUCKET_COUNT,
  bucketOf,
  bucketSegment,
  channelMembersPrefix,
  connectionIdOfKey,
  connectionKey,
  isBucketRange,
  memberKey,
  parseBucketSegment,
  reverseKey,
  splitBuckets,
} from "../../../src/contract/index.js";
import { connectionIds } from "../support/store.js";

describe("bucketOf", () => {
  it("is pinned: these ids stay in these buckets (a change would orphan every stored key)", () => {
    // Prepare
    const ids = ["Ek02Ofq8IAMCEyw=", "abc=", "Ek02Of/8IAM+Eyw=", "a=", ""];
    // Act
    const buckets = ids.map((id) => bucketSegment(bucketOf(id)));
    // Assess
    expect(buckets).toEqual(["~e7", "~83", "~ae", "~52", "~c5"]);
  });

  it("spreads API Gateway-shaped ids evenly over 16 shards (each within 15% of the mean)", () => {
    // Prepare
    const ids = connectionIds(16_000);
    const shards = splitBuckets(16);
    // Act
    const counts = shards.map(() => 0);
    for (const id of ids) {
      const bucket = bucketOf(id);
      const index = shards.findIndex((range) => bucket >= range.from && bucket < range.to);
      counts[index] = (counts[index] ?? 0) + 1;
    }
    // Assess
    for (const count of counts) {
      expect(count).toBeGreaterThan(850);
      expect(count).toBeLessThan(1150);
    }
  });
});

describe("bucket segments", () => {
  it("are ~ and two hex digits, sort after every id character, and parse back", () => {
    // Prepare
    const segments = [0, 10, 255].map(bucketSegment);
    // Act
    const parsed = [...segments, "0a", "~0A", "~100"].map(parseBucketSegment);
    // Assess
    expect(segments).toEqual(["~00", "~0a", "~ff"]);
    expect(parsed).toEqual([0, 10, 255, undefined, undefined, undefined]);
    // S3 lists in byte order: every flat key <prefix>/<id> sorts before <prefix>/~00/...
    expect(["zzz=", "___", "---", "+/="].every((id) => id < "~00")).toBe(true);
  });
});

describe("splitBuckets", () => {
  it.each([1, 3, 16, 256, 1000, 0])("cuts the 256 buckets into consecutive ranges (%i shards)", (shards) => {
    // Prepare / Act
    const ranges = splitBuckets(shards);
    // Assess: contiguous, covering, non-empty, near-equal
    expect(ranges[0]?.from).toBe(0);
    expect(ranges.at(-1)?.to).toBe(BUCKET_COUNT);
    for (let index = 1; index < ranges.length; index++)
      expect(ranges[index]?.from).toBe(ranges[index - 1]?.to);
    const sizes = ranges.map((range) => range.to - range.from);
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    expect(ranges.length).toBe(Math.min(256, Math.max(1, shards)));
  });
});

describe("isBucketRange", () => {
  it("accepts ranges within 0..256 and refuses anything else", () => {
    // Prepare
    const values = [
      ALL_BUCKETS,
      { from: 5, to: 6 },
      { from: 6, to: 6 },
      { from: -1, to: 3 },
      { from: 0, to: 257 },
    ];
    const more = [{ from: 0.5, to: 2 }, { from: "0", to: 2 }, null, "0-256", [0, 256]];
    // Act
    const results = [...values, ...more].map(isBucketRange);
    // Assess
    expect(results).toEqual([true, true, false, false, false, false, false, false, false, false]);
  });
});

describe("connection keys", () => {
  it("reads the id back from a key of either layout", () => {
    // Prepare
    const keys = [
      connectionKey("active-connections", "Ek02Of/8IAM+Eyw="),
      "active-connections/old=",
      "active-connections/",
    ];
    // Act
    const ids = keys.map((key) => connectionIdOfKey("active-connections", key));
    // Assess
    expect(ids).toEqual(["Ek02Of/8IAM+Eyw=", "old=", undefined]);
  });
});

describe("membership keys", () => {
  it("encodes channel and connection id as one segment each, so a channel's prefix is exact", () => {
    // Prepare / Act
    const news = channelMembersPrefix("news");
    const sport = memberKey("news/sport", "Ek02Of/8IAM+Eyw=");
    // Assess
    expect(news).toBe("channel-members/news/");
    // The connection's bucket sits between channel and id.
    expect(sport).toBe("channel-members/news%2Fsport/~ae/Ek02Of%2F8IAM%2BEyw%3D");
    expect(sport.startsWith(news)).toBe(false);
  });

  it("encodes dot segments, which URL path normalisation would otherwise resolve", () => {
    // Prepare / Act
    const key = reverseKey("abc=", "../x.y");
    // Assess
    expect(key).toBe("connection-channels/abc%3D/%2E%2E%2Fx%2Ey");
  });
});
