/**
 * The three paths of docs/design.md, from the event to `PostToConnection`, checked on the running code: the real
 * handler (AWS mocked) records the call stack at the moment of each send, and the files of `src/` on it must be at
 * most eight, none visited twice, from the entry (`src/index.ts`) to the @connections client
 * (`src/aws/connections.ts`). Every function on the way awaits the next one, so the asynchronous part of the stack
 * is complete; a broken chain would lose the entry and fail here.
 */
import { resolve } from "node:path";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import type { SNSEvent } from "aws-lambda";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { bucketOf, memberKey } from "../../src/contract/index.js";
import { repoRoot } from "../../util/lib/repo.js";
import { loadEvent } from "../support/fixtures.js";
import { mockAws } from "./support/aws.js";
import { CONFIGURED_ENDPOINT, context, SENDER, setupHandler, shardEvent } from "./support/handler.js";
import { connectionIds } from "./support/store.js";

const aws = mockAws();
const SRC = `${resolve(repoRoot, "src")}/`;
const MOST_FILES = 8;

let stackTraceLimit: number;
let stacks: string[];
beforeEach(() => {
  stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = Number.POSITIVE_INFINITY;
  stacks = [];
  // Runs inside the sender's exchange, synchronously: the stack is the send's.
  aws.connections.onPost(() => {
    stacks.push(new Error("send").stack ?? "");
  });
});
afterEach(() => {
  Error.stackTraceLimit = stackTraceLimit;
});

/**
 * The files of `src/` a stack passes through, outermost first, each visit once (consecutive frames of one file are
 * one visit).
 * @param stack - `Error.stack`, innermost frame first
 */
function visits(stack: string): string[] {
  const files = stack
    .split("\n")
    .map((line) =>
      /\(?((?:file:\/\/)?\/[^():]+\.ts):\d+:\d+\)?$/.exec(line.trim())?.[1]?.replace("file://", ""),
    )
    .filter((file): file is string => file?.startsWith(SRC) === true)
    .map((file) => file.slice(SRC.length - "src/".length))
    .reverse();
  return files.filter((file, index) => file !== files[index - 1]);
}

/** Checks every send's path and returns the first. */
function checkedPath(): string[] {
  expect(stacks.length).toBeGreaterThan(0);
  const paths = stacks.map(visits);
  for (const path of paths) {
    expect(path[0]).toBe("src/index.ts");
    expect(path.at(-1)).toBe("src/aws/connections.ts");
    expect(path.length).toBeLessThanOrEqual(MOST_FILES);
    expect(new Set(path).size).toBe(path.length);
  }
  expect(new Set(paths.map((path) => path.join(" > "))).size).toBe(1);
  return paths[0] as string[];
}

describe("the path from an event to PostToConnection", () => {
  it("of a client broadcast crosses at most 8 files of src/, none twice", async () => {
    // Prepare
    aws.storedConnections(SENDER, "a=", "b=");
    const { handler } = setupHandler({ AUTH_MODE: "open" });
    // Act
    await handler(loadEvent("broadcast_1"), context);
    // Assess
    expect(stacks).toHaveLength(3);
    expect(checkedPath()).toEqual([
      "src/index.ts",
      "src/sources/websocket.ts",
      "src/actions/routes.ts",
      "src/actions/broadcast.ts",
      "src/delivery/dispatch.ts",
      "src/delivery/engine.ts",
      "src/delivery/send-policy.ts",
      "src/aws/connections.ts",
    ]);
  });

  it("of an SNS message to a channel crosses at most 8 files of src/, none twice", async () => {
    // Prepare
    aws.s3.on(ListObjectsV2Command, { Prefix: "channel-members/news/" }).resolves({
      Contents: [{ Key: memberKey("news", "a=") }, { Key: memberKey("news", "b=") }],
    });
    const event = loadEvent<SNSEvent>("sns_message_1");
    const record = event.Records[0] as SNSEvent["Records"][number];
    record.Sns.MessageAttributes = { channel: { Type: "String", Value: "news" } };
    const { handler } = setupHandler({ AUTH_MODE: "open", MANAGEMENT_ENDPOINT: CONFIGURED_ENDPOINT });
    // Act
    await handler(event, context);
    // Assess
    expect(stacks).toHaveLength(2);
    expect(checkedPath()).toEqual([
      "src/index.ts",
      "src/sources/sns.ts",
      "src/actions/sns-publish.ts",
      "src/delivery/dispatch.ts",
      "src/delivery/engine.ts",
      "src/delivery/send-policy.ts",
      "src/aws/connections.ts",
    ]);
  });

  it("of one shard crosses at most 8 files of src/, none twice", async () => {
    // Prepare: two connections in the job's buckets (0-15)
    aws.storedConnections(
      ...connectionIds(800)
        .filter((id) => bucketOf(id) < 16)
        .slice(0, 2),
    );
    const { handler } = setupHandler({ AUTH_MODE: "open" });
    // Act
    await handler(shardEvent(), context);
    // Assess
    expect(stacks).toHaveLength(2);
    expect(checkedPath()).toEqual([
      "src/index.ts",
      "src/sources/sqs.ts",
      "src/delivery/dispatch.ts",
      "src/delivery/engine.ts",
      "src/delivery/send-policy.ts",
      "src/aws/connections.ts",
    ]);
  });
});
