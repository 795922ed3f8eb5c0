/**
 * The cold start of each route up to its first reply: a fresh `node` imports the bundle and answers one event of the
 * route, with AWS stood in for on 127.0.0.1, so the figure is the route's start, loading and own work, no network.
 */
import { execFile } from "node:child_process";
import { createHmac } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import { shardEvent } from "../session/events.js";
import { median } from "../stats.js";

/**
 * Wall time of a fresh `node` with these arguments, and its stdout. Asynchronous, so that the AWS stand-in of the
 * same process answers meanwhile.
 */
export async function runNode(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ ms: number; stdout: string }> {
  const start = performance.now();
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, args, { env, timeout: 30_000 }, (error, out) =>
      error
        ? reject(new Error(`node ${args.join(" ").slice(0, 80)} failed: ${error.message}`))
        : resolve(out),
    );
  });
  return { ms: performance.now() - start, stdout };
}

/**
 * AWS on 127.0.0.1 for the first invocations: every call succeeds at once, a ListObjectsV2 lists nothing. So a
 * route's figure is its start, its loading and its own work, up to and including its first calls, with no network.
 */
async function startAwsStandIn(): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      if (request.method === "GET" && (request.url ?? "").includes("list-type=2")) {
        response
          .writeHead(200, { "Content-Type": "application/xml" })
          .end(
            '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
              "<Name>bench</Name><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>",
          );
        return;
      }
      response.writeHead(200, { ETag: '"d41d8cd98f00b204e9800998ecf8427e"' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** The HS256 secret of the first invocations' token mode. */
const BENCH_TOKEN_SECRET = "a-benchmark-secret-of-at-least-32-bytes";
const BENCH_API_ID = "coldstart1";
const BENCH_CONNECTION_ID = "ColdStart0000A=";

/** A token the bench's authorizer accepts: HS256, `sub`, a broadcast right, valid for ten minutes. */
function benchToken(): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  const unsigned = `${encode({ alg: "HS256", typ: "JWT" })}.${encode({ sub: "bench", fanout: { broadcast: true }, iat: now, exp: now + 600 })}`;
  return `${unsigned}.${createHmac("sha256", BENCH_TOKEN_SECRET).update(unsigned).digest("base64url")}`;
}

/** A WebSocket event as API Gateway sends it, from a connection the authorizer allowed to broadcast. */
function webSocketEvent(eventType: "CONNECT" | "MESSAGE", routeKey: string, body?: string): object {
  return {
    requestContext: {
      routeKey,
      eventType,
      messageDirection: "IN",
      stage: "primary",
      connectedAt: Date.now(),
      requestTimeEpoch: Date.now(),
      requestId: "ColdStartReq0=",
      extendedRequestId: "ColdStartReq0=",
      requestTime: new Date().toUTCString(),
      domainName: "127.0.0.1",
      connectionId: BENCH_CONNECTION_ID,
      apiId: BENCH_API_ID,
      identity: { sourceIp: "127.0.0.1" },
      authorizer: { principalId: "bench", sub: "bench", fanout: JSON.stringify({ broadcast: true }) },
    },
    isBase64Encoded: false,
    ...(body === undefined ? {} : { body }),
  };
}

/** One route of the first-invocation figures: its event and how to tell that it was answered as it should be. */
interface RouteProbe {
  route: string;
  event: (awsUrl: string) => object;
  /** Throws unless the handler's result is what that route answers when all goes well. */
  check: (result: unknown) => void;
}

function expectStatus(route: string, result: unknown, statusCode: number): void {
  if ((result as { statusCode?: unknown } | null)?.statusCode !== statusCode)
    throw new Error(`${route}: expected status ${statusCode}, got ${JSON.stringify(result)?.slice(0, 200)}`);
}

/**
 * The routes whose first invocation the benchmark measures: the `$connect` authorizer (token mode, an inline
 * secret), the `$connect` itself, a client's `broadcast` (to nobody: the stand-in lists no connection) and a shard
 * (an SQS event of the fan-out queue). Together they load every chunk that a deployment loads.
 */
const FIRST_INVOCATION_ROUTES: readonly RouteProbe[] = [
  {
    route: "$connect authorizer",
    event: () => ({
      type: "REQUEST",
      methodArn: `arn:aws:execute-api:us-east-1:123456789012:${BENCH_API_ID}/primary/$connect`,
      headers: {},
      queryStringParameters: { token: benchToken() },
      requestContext: { connectionId: BENCH_CONNECTION_ID, apiId: BENCH_API_ID },
    }),
    check: (result) => {
      const effect = (result as { policyDocument?: { Statement?: { Effect?: string }[] } } | null)
        ?.policyDocument?.Statement?.[0]?.Effect;
      if (effect !== "Allow")
        throw new Error(`$connect authorizer: expected Allow, got ${JSON.stringify(result)}`);
    },
  },
  {
    route: "$connect",
    event: () => webSocketEvent("CONNECT", "$connect"),
    check: (result) => expectStatus("$connect", result, 200),
  },
  {
    route: "broadcast",
    event: () =>
      webSocketEvent("MESSAGE", "broadcast", JSON.stringify({ action: "broadcast", message: "cold" })),
    check: (result) => expectStatus("broadcast", result, 200),
  },
  {
    route: "shard (SQS)",
    event: (awsUrl) =>
      shardEvent({
        data: Buffer.from(JSON.stringify({ message: "cold" })),
        endpoint: `${awsUrl}/primary`,
        dispatchId: "ColdStartReq0=",
        messageId: "059f36b4-87a3-44ab-83d2-661975830a7d",
        region: "us-east-1",
        range: { from: 0, to: 16 },
      }),
    check: (result) => {
      const failures = (result as { batchItemFailures?: unknown[] } | null)?.batchItemFailures;
      if (!Array.isArray(failures) || failures.length > 0)
        throw new Error(`shard (SQS): expected no batch item failure, got ${JSON.stringify(result)}`);
    },
  },
];

/** The child's script: import the bundle, answer one event, print the result on a marked line, exit. */
function firstInvocationScript(entryFile: string): string {
  return [
    `const { handler } = await import(${JSON.stringify(pathToFileURL(entryFile).href)});`,
    'const context = { awsRequestId: "cold-start-bench", functionName: "fanout-bench", getRemainingTimeInMillis: () => 30000 };',
    "const result = await handler(JSON.parse(process.env.BENCH_EVENT), context);",
    'process.stdout.write("\\nRESULT " + JSON.stringify(result ?? null) + "\\n");',
    // The keep-alive sockets would keep the process alive; Lambda freezes it here instead.
    "process.exit(0);",
  ].join("\n");
}

/** The environment of a first invocation: token mode with an inline secret, every AWS call to the stand-in. */
function firstInvocationEnv(awsUrl: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? "",
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "bench",
    AWS_SECRET_ACCESS_KEY: "bench",
    AWS_ENDPOINT_URL_S3: awsUrl,
    S3_FORCE_PATH_STYLE: "true",
    CONNECTION_BUCKET: "bench",
    CONNECTION_PREFIX: "active-connections",
    MANAGEMENT_ENDPOINT: `${awsUrl}/primary`,
    TOKEN_SECRET: BENCH_TOKEN_SECRET,
    POWERTOOLS_LOG_LEVEL: "ERROR",
  };
}

/**
 * Wall time of a fresh `node` that imports the bundle and answers one event of the route, median of `repeats`,
 * after checking that every run answered as the route should.
 */
async function measureFirstInvocation(
  entryFile: string,
  probe: RouteProbe,
  awsUrl: string,
  repeats: number,
): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const env = { ...firstInvocationEnv(awsUrl), BENCH_EVENT: JSON.stringify(probe.event(awsUrl)) };
    const { ms, stdout } = await runNode(
      ["--input-type=module", "--eval", firstInvocationScript(entryFile)],
      env,
    );
    const line = stdout.split("\n").find((l) => l.startsWith("RESULT "));
    if (line === undefined) throw new Error(`${probe.route}: the handler printed no result:\n${stdout}`);
    probe.check(JSON.parse(line.slice("RESULT ".length)));
    times.push(ms);
  }
  return median(times);
}

/**
 * For each route of {@link FIRST_INVOCATION_ROUTES}, the median wall time of a fresh `node` that imports the bundle
 * and answers its first event, with AWS stood in for on 127.0.0.1.
 * @param entryFile - the bundle's `index.mjs`
 * @param repeats - fresh processes per route
 */
export async function measureFirstInvocations(
  entryFile: string,
  repeats: number,
): Promise<{ route: string; ms: number }[]> {
  const aws = await startAwsStandIn();
  try {
    const figures: { route: string; ms: number }[] = [];
    for (const probe of FIRST_INVOCATION_ROUTES) {
      figures.push({
        route: probe.route,
        ms: await measureFirstInvocation(entryFile, probe, aws.url, repeats),
      });
    }
    return figures;
  } finally {
    await new Promise((resolve) => aws.server.close(resolve));
  }
}
