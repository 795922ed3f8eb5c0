/**
 * The AWS clients the function uses, mocked: the SDK clients with aws-sdk-client-mock, the @connections sender at its
 * exchange seam (`connections.ts`): one place for every unit test that runs the real dependencies. Each test starts
 * from answers that succeed; a test changes what it needs.
 */
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SQSClient } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach } from "vitest";
import { connectionKey, DEFAULT_CONNECTION_PREFIX } from "../../../src/contract/index.js";
import { fakeConnections } from "./connections.js";

/**
 * Mocks S3, @connections, SQS and Secrets Manager for the calling test file, resetting them around every test.
 * Call it once, at the top of the file.
 */
export function mockAws() {
  const s3 = mockClient(S3Client);
  const sqs = mockClient(SQSClient);
  const secrets = mockClient(SecretsManagerClient);
  const all = [s3, sqs, secrets];
  beforeEach(() => {
    for (const mock of all) mock.reset();
    fakeConnections.reset();
    s3.on(PutObjectCommand).resolves({});
    s3.on(DeleteObjectCommand).resolves({});
    s3.on(DeleteObjectsCommand).resolves({});
    s3.on(ListObjectsV2Command).resolves({});
  });
  afterEach(() => {
    for (const mock of all) mock.reset();
    fakeConnections.reset();
  });
  return {
    /** A client of the mocked S3, for a store under test. */
    s3Client: () => new S3Client({ region: "us-east-1" }),
    s3,
    /** The @connections API: its answers and hook (`connections.ts`). */
    connections: fakeConnections,
    sqs,
    secrets,
    /** Every PostToConnection, in order, as [recipient, frame text], whatever it was answered. */
    sent(): Array<[string | undefined, string]> {
      return fakeConnections.posts.map((post) => [post.connectionId, post.text]);
    },
    /** The key of every PutObject, in order. */
    putKeys(): Array<string | undefined> {
      return s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input.Key);
    },
    /** The keys of every DeleteObjects, one array per batch. */
    deletedBatches(): Array<Array<string | undefined> | undefined> {
      return s3
        .commandCalls(DeleteObjectsCommand)
        .map((call) => call.args[0].input.Delete?.Objects?.map((object) => object.Key));
    },
    /**
     * The stored connections S3 lists under the default prefix. Every listing under the prefix is answered alike: the
     * flat layout's listing stops at the first bucketed key, the buckets' listing reads them all. Other listings
     * (memberships) find nothing.
     */
    storedConnections(...ids: string[]): void {
      const prefix = `${DEFAULT_CONNECTION_PREFIX}/`;
      s3.on(ListObjectsV2Command).callsFake((input: { Prefix?: string }) =>
        input.Prefix?.startsWith(prefix)
          ? { Contents: ids.map((id) => ({ Key: connectionKey(DEFAULT_CONNECTION_PREFIX, id) })) }
          : {},
      );
    },
  };
}
