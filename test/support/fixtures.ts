import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { repoRoot } from "../../util/lib/repo.js";

/** Real events captured from AWS, kept unchanged in the repository so that a clone tests on its own. */
const fixturesDir = resolve(repoRoot, "test/fixtures/aws-events");

/** The names of the captured events. */
export type FixtureName =
  | "authorizer_1"
  | "connect_1"
  | "disconnect_1"
  | "broadcast_1"
  | "sns_message_1"
  | "sqs_shard_1";

/**
 * Loads a fresh deep copy of a captured AWS event, so that a test can edit it without touching other tests.
 * @param name - the fixture's file name without `.json`
 */
export function loadEvent<T = Record<string, unknown>>(name: FixtureName): T {
  return JSON.parse(readFileSync(resolve(fixturesDir, `${name}.json`), "utf8")) as T;
}
