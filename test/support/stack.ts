import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ApiGatewayManagementApiClient } from "@aws-sdk/client-apigatewaymanagementapi";
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { SNSClient } from "@aws-sdk/client-sns";
import WebSocket from "ws";
import { ALL_RIGHTS, type Capabilities } from "../../src/capabilities.js";
import { connectionIdOfKey } from "../../src/connections.js";
import { type LocalStack, type LocalStackOptions, startLocalStack } from "../../util/local-stack/index.js";

/** Waits this long at most for something a test expects to happen (a bound, not a timing assertion). */
export const WAIT_MS = 15_000;

/** A local stack on free ports with its own state folder, for one test file or test. */
export interface TestStack extends LocalStack {
  stateDir: string;
  /**
   * The WebSocket URL with a fresh token (`?token=`) granting `rights` (default: every right), signed with the
   * stack's secret; the bare `ws_url` in open mode.
   * @param rights - the token's `fanout` claim
   * @param claims - other claims to set or override (`sub`, `exp`, …)
   */
  tokenUrl(rights?: Capabilities, claims?: Record<string, unknown>): string;
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
      tokenUrl(rights: Capabilities = ALL_RIGHTS, claims: Record<string, unknown> = {}) {
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

/** A WebSocket client that records every frame it receives, parsed as JSON when it is. */
export class Client {
  readonly received: unknown[] = [];
  readonly raw: Array<{ data: Buffer; isBinary: boolean }> = [];
  closed: Promise<{ code: number; reason: string }>;
  private waiters: Array<() => void> = [];

  private constructor(readonly ws: WebSocket) {
    ws.on("message", (data: Buffer, isBinary: boolean) => {
      this.raw.push({ data, isBinary });
      let value: unknown = data.toString("utf8");
      try {
        value = JSON.parse(value as string);
      } catch {
        // Kept as text.
      }
      this.received.push(value);
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.closed = new Promise((resolve) =>
      ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  /**
   * Connects and resolves once the handshake is done (rejects with the HTTP status if it is refused).
   * @param url - the WebSocket URL (with `?token=` in token mode: see {@link TestStack.tokenUrl})
   * @param options - ws client options (an `origin`, say)
   */
  static connect(url: string, options?: WebSocket.ClientOptions): Promise<Client> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, options);
      const client = new Client(ws);
      ws.once("open", () => resolve(client));
      ws.once("unexpected-response", (_req, res) => {
        reject(new HandshakeRefused(res.statusCode ?? 0));
        res.resume();
        ws.terminate();
      });
      ws.once("error", reject);
    });
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  /** Resolves with the first received frame (from `from` on) that matches, or rejects after {@link WAIT_MS}. */
  async next(match: (frame: unknown) => boolean, from = 0): Promise<unknown> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const found = this.received.slice(from).find(match);
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`no matching frame within ${WAIT_MS} ms; got ${JSON.stringify(this.received)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** A ping round trip: every frame sent to this client before the pong was posted has arrived by now. */
  async roundTrip(): Promise<void> {
    const from = this.received.length;
    this.send({ action: "ping" });
    await this.next((f) => isEqualJson(f, { action: "pong" }), from);
  }

  close(): void {
    this.ws.close();
  }
}

/** The gateway refused the WebSocket handshake with this HTTP status. */
export class HandshakeRefused extends Error {
  constructor(readonly status: number) {
    super(`handshake refused with HTTP ${status}`);
  }
}

function isEqualJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Connects `n` clients at once. */
export function connectMany(url: string, n: number): Promise<Client[]> {
  return Promise.all(Array.from({ length: n }, () => Client.connect(url)));
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

/** The connection ids stored in the connection store (S3 keys under the prefix). */
export async function storedConnectionIds(stack: LocalStack, s3: S3Client): Promise<string[]> {
  const ids: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: stack.outputs.connection_bucket,
        Prefix: `${stack.outputs.connection_prefix}/`,
        ContinuationToken: token,
      }),
    );
    for (const object of page.Contents ?? []) {
      const id = connectionIdOfKey(stack.outputs.connection_prefix, object.Key ?? "");
      if (id !== undefined) ids.push(id);
    }
    token = page.NextContinuationToken;
  } while (token);
  return ids.sort();
}

/** Polls `check` until it returns true, or fails after `waitMs` (default {@link WAIT_MS}). */
export async function eventually(
  what: string,
  check: () => Promise<boolean> | boolean,
  waitMs = WAIT_MS,
): Promise<void> {
  const deadline = Date.now() + waitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await sleep(50);
  }
}

/** The JSON records of a log file of the stack. */
export async function readLog(path: string): Promise<Array<Record<string, unknown>>> {
  const text = await readFile(path, "utf8").catch(() => "");
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
