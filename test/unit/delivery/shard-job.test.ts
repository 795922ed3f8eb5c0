import { describe, expect, it } from "vitest";
import { encodeShardJob, parseShardJob, shardFrame, shardJobs } from "../../../src/delivery/shard-job.js";
import { loadEvent } from "../../support/fixtures.js";

describe("parseShardJob", () => {
  const record = loadEvent<{ Records: Array<{ body: string; attributes: { SentTimestamp: string } }> }>(
    "sqs_shard_1",
  ).Records[0];
  const legacy = JSON.parse(record?.body ?? "");
  const valid = { ...legacy, dispatchedAt: 1767225599990 };

  it("reads the job of a queue message", () => {
    // Prepare
    const body = JSON.stringify(valid);
    // Act
    const parsed = parseShardJob(body, 1767225600000);
    // Assess
    expect(parsed).toEqual({ ok: true, value: valid });
  });

  it("dates a job written before jobs carried their dispatch time by the queue's SentTimestamp", () => {
    // Prepare: the captured record's job has no dispatchedAt
    const sentAt = Number(record?.attributes.SentTimestamp);
    // Act
    const parsed = parseShardJob(record?.body, sentAt);
    const undated = parseShardJob(record?.body);
    // Assess
    expect(parsed).toEqual({ ok: true, value: { ...legacy, dispatchedAt: 1767225600000 } });
    expect(undated).toEqual({ ok: false, error: "dispatchedAt is missing or not a time" });
  });

  it.each([
    ["not JSON", "{", "not JSON"],
    ["not an object", "[1]", "unknown shard job version"],
    ["another version", JSON.stringify({ ...valid, v: 2 }), "version 2"],
    ["a bad audience", JSON.stringify({ ...valid, audience: { kind: "channel" } }), "audience"],
    ["a bad range", JSON.stringify({ ...valid, range: { from: 3, to: 3 } }), "bucket range"],
    ["no shard position", JSON.stringify({ ...valid, shard: null }), "shard position"],
    ["no data", JSON.stringify({ ...valid, data: 5 }), "data"],
    [
      "a dispatch time that is not a number",
      JSON.stringify({ ...valid, dispatchedAt: "noon" }),
      "dispatchedAt",
    ],
  ])("refuses %s", (_, body, reason) => {
    // Prepare: the body above
    // Act
    const parsed = parseShardJob(body);
    // Assess
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? "" : parsed.error).toContain(reason);
  });
});

describe("the codec, both ends", () => {
  it("reads back every job the dispatch writes, with its frame byte for byte", () => {
    // Prepare
    const data = Buffer.from('{"channel":"news","message":"é","id":"r1"}', "utf8");
    const jobs = shardJobs({
      audience: { kind: "channel", channel: "news" },
      data,
      shards: 3,
      endpoint: "https://api.example/primary",
      dispatchId: "req-1",
      dispatchedAt: 1767225600000,
    });
    // Act
    const read = jobs.map((job) => parseShardJob(encodeShardJob(job)));
    // Assess
    expect(jobs.map((job) => job.range)).toEqual([
      { from: 0, to: 85 },
      { from: 85, to: 170 },
      { from: 170, to: 256 },
    ]);
    expect(read).toEqual(jobs.map((job) => ({ ok: true, value: job })));
    for (const result of read)
      expect(result.ok && Buffer.from(shardFrame(result.value)).equals(data)).toBe(true);
  });
});
