import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApiGatewayManagementApiClient } from "@aws-sdk/client-apigatewaymanagementapi";
import { S3Client } from "@aws-sdk/client-s3";
import { SNSClient } from "@aws-sdk/client-sns";
import { afterAll, afterEach, beforeAll } from "vitest";
import { ALL_RIGHTS, type Rights } from "../../src/contract/index.js";
import { listConnectionIds, listKeys } from "../../util/lib/s3-keys.js";
import { type LocalStack, type LocalStackOptions, startLocalStack } from "../../util/local-stack/index.js";
import { Client, connectMany } from "./ws-client.js";

/** A local stack on free ports with its own state folder, for one test file or test. */
export interface TestStack extends LocalStack {
  stateDir: string;
  /**
   * The WebSocket URL with a fresh token (`?token=`) granting `rights` (default: every right), signed with the
   * stack's secret; the bare `ws_url` in open mode.
   * @param rights - the token's `fanout` claim
   * @param claims - other claims to set or override (`sub`, `exp`, …)
   */
  tokenUrl(rights?: Rights, claims?: Record<string, unknown>): string;
  /** Stops the stack and removes its state folder. */
  dispose(): Promise<void>;
}

/** Starts a local stack on free ports, silent, with a temporary state folder. */
export async function startTestStack(options: LocalStackOptions = {}): Promise<TestStack> {
  const stateDir = await mkdtemp(join(tmpdir(), "fanout-e2e-"));
  try {
    const stack = await startLocalStack({
      gatewayPort: 0,
      emulatorPort: 0,
      stateDir,
      log: false,
      ...options,
    });
    const secretFile = stack.outputs.token_secret_file;
    const secret = secretFile === undefined ? undefined : readFileSync(secretFile, "utf8").trim();
    return Object.assign(stack, {
      stateDir,
      tokenUrl(rights: Rights = ALL_RIGHTS, claims: Record<string, unknown> = {}) {
        if (secret === undefined) return stack.outputs.ws_url;
        const url = new URL(stack.outputs.ws_url);
        url.searchParams.set("token", signTestToken(secret, { fanout: rights, ...claims }));
        return url.toString();
      },
      async dispose() {
        await stack.stop();
        await rm(stateDir, { recursive: true, force: true });
      },
    });
  } catch (error) {
    await rm(stateDir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * An HS256 token as the stack's authorizer expects it (`sub` "e2e", valid for 10 minutes unless `claims` say
 * otherwise). Signed here with node:crypto, synchronously, so that a test can build URLs inline.
 * @param secret - the stack's token secret
 * @param claims - claims to set or override
 */
export function signTestToken(secret: string, claims: Record<string, unknown>): string {
  const now = Math.floor(Date.now() / 1000);
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const body = `${part({ alg: "HS256", typ: "JWT" })}.${part({ sub: "e2e", iat: now, exp: now + 600, ...claims })}`;
  return `${body}.${createHmac("sha256", secret).update(body).digest("base64url")}`;
}

/** An S3 client on the stack's emulator. */
export function s3Client(stack: LocalStack): S3Client {
  return new S3Client({
    endpoint: stack.outputs.s3_endpoint,
    region: stack.outputs.region,
    forcePathStyle: true,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
}

/**
 * The real SDK client on an @connections endpoint (the stack's `management_endpoint`); no retries, so each call is
 * one request.
 */
export function managementClient(endpoint: string): ApiGatewayManagementApiClient {
  return new ApiGatewayManagementApiClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
  });
}

/** An SNS client for the stack's emulator, as a publisher would make one. */
export function snsClient(stack: LocalStack): SNSClient {
  return new SNSClient({
    endpoint: stack.outputs.sns_endpoint,
    region: stack.outputs.region,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
}

/**
 * Every key under `prefix` in the stack's bucket, page after page, in the order S3 lists them.
 * @param pageSize - keys a page (S3's `MaxKeys`); S3's 1,000 when absent
 */
export function keysUnder(
  stack: LocalStack,
  s3: S3Client,
  prefix: string,
  pageSize?: number,
): Promise<string[]> {
  return listKeys(s3, stack.outputs.connection_bucket, prefix, { pageSize });
}

/** The connection ids stored in the connection store (S3 keys under the prefix), sorted. */
export async function storedConnectionIds(stack: LocalStack, s3: S3Client): Promise<string[]> {
  const { connection_bucket, connection_prefix } = stack.outputs;
  return (await listConnectionIds(s3, connection_bucket, connection_prefix)).sort();
}

/** Connects a client and finds its connection id in the store (the id only the server knows). */
export async function connectWithId(stack: TestStack, s3: S3Client): Promise<{ client: Client; id: string }> {
  const before = await storedConnectionIds(stack, s3);
  const client = await Client.connect(stack.tokenUrl());
  const id = (await storedConnectionIds(stack, s3)).find((each) => !before.includes(each));
  if (id === undefined) throw new Error("the new connection has no key in the store");
  return { client, id };
}

/**
 * The JSON records of a log file of the stack, up to its last complete line (a line being written now is read next
 * time, not parsed half-written).
 */
export async function readLog(path: string): Promise<Array<Record<string, unknown>>> {
  const text = await readFile(path, "utf8").catch(() => "");
  return text
    .slice(0, text.lastIndexOf("\n") + 1)
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Access log records of the stack, by event type. */
export async function accessRecords(
  stack: TestStack,
  eventType: string,
): Promise<Array<Record<string, unknown>>> {
  return (await readLog(stack.outputs.access_log_file)).filter((r) => r.eventType === eventType);
}

/** What a test opens and must close: a WebSocket client, an SDK client, a stack. */
type Closable = { close(): unknown } | { destroy(): unknown } | { dispose(): Promise<unknown> };

/** Closes what was handed to it, last first, so that clients close before the stack they talk to stops. */
class Closer {
  private readonly items: Closable[] = [];

  /** Closes `item` with the others; returns it. */
  add<T extends Closable>(item: T): T {
    this.items.push(item);
    return item;
  }

  async closeAll(): Promise<void> {
    for (const item of this.items.splice(0).reverse()) {
      if ("dispose" in item) await item.dispose();
      else if ("destroy" in item) await item.destroy();
      else await item.close();
    }
  }
}

/** A stack for a whole `describe` block; read its fields inside the tests and hooks, not at collection time. */
interface SuiteStack {
  stack: TestStack;
  /** The clients connected at the start (`clients` of {@link useStack}), with every right. */
  clients: Client[];
  /** A publisher's SNS client on the stack's emulator. */
  sns: SNSClient;
  /** An S3 client on the stack's emulator (the connection store). */
  s3: S3Client;
  /** The real SDK client on the stack's @connections API (see {@link managementClient}). */
  api: ApiGatewayManagementApiClient;
  /** Closes `item` after the block, before the stack stops; returns it. */
  track<T extends Closable>(item: T): T;
  /** Closes every one of `items` after the block; returns them. */
  trackAll<T extends Closable>(items: T[]): T[];
}

/**
 * Starts one local stack before the tests of the enclosing `describe` block, with `clients` clients connected and
 * the SDK clients a test needs (SNS, S3, @connections), and stops all of it after them, even on failure.
 * @param options - the stack's options (see {@link startTestStack})
 * @param clients - WebSocket clients to connect at the start
 */
export function useStack(options: LocalStackOptions = {}, clients = 0): SuiteStack {
  const closer = new Closer();
  const suite = {
    track: (item) => closer.add(item),
    trackAll: (items) => items.map((item) => closer.add(item)),
  } as SuiteStack;
  beforeAll(async () => {
    suite.stack = closer.add(await startTestStack(options));
    suite.sns = closer.add(snsClient(suite.stack));
    suite.s3 = closer.add(s3Client(suite.stack));
    suite.api = closer.add(managementClient(suite.stack.outputs.management_endpoint));
    suite.clients = (await connectMany(suite.stack.tokenUrl(), clients)).map((c) => closer.add(c));
  });
  afterAll(() => closer.closeAll());
  return suite;
}

/** Stacks started by the tests of a block, one or more per test. */
export interface TestStacks {
  /** Starts a stack that is stopped after the test, even on failure. */
  start(options?: LocalStackOptions): Promise<TestStack>;
  /** Closes `item` after the test, before its stacks stop; returns it. */
  track<T extends Closable>(item: T): T;
  /** Closes every one of `items` after the test; returns them. */
  trackAll<T extends Closable>(items: T[]): T[];
}

/** Stacks for the tests of the enclosing `describe` block, each stopped after its test with what was tracked. */
export function useStacks(): TestStacks {
  const closer = new Closer();
  afterEach(() => closer.closeAll());
  return {
    start: async (options) => closer.add(await startTestStack(options)),
    track: (item) => closer.add(item),
    trackAll: (items) => items.map((item) => closer.add(item)),
  };
}
