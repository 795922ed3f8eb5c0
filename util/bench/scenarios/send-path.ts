/**
 * The send path alone: the CPU of one PostToConnection from this process to a keep-alive HTTP sink in another (so
 * the sink's CPU is not counted), many in flight, for four senders: a bare `node:http` POST (the floor), the
 * function's @connections sender (`src/aws/connections.ts`, SigV4 by hand with node:crypto), the same requests
 * signed by the AWS SDK's own signer (`@smithy/signature-v4`), and the SDK's client with its defaults (what the
 * peers use). It is what chose the function's signer (docs/design.md, "The @connections sender").
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from "@aws-sdk/client-apigatewaymanagementapi";
import { SignatureV4 } from "@smithy/signature-v4";
import { buildNodeScript } from "../../build/node-script.js";
import { repoRoot } from "../../lib/repo.js";
import { NodeSha256 } from "../../lib/sdk-sha256.js";

/** CPU of one send, µs, per sender. */
export interface SendPathResult {
  /** Sends per sender (after as many unmeasured). */
  sends: number;
  /** Sends in flight. */
  concurrency: number;
  senders: Array<{ sender: string; microsPerSend: number }>;
}

/** The labels, in the order measured. */
const SEND_PATH_SENDERS = [
  "bare node:http POST (no signature)",
  "ours: SigV4 by hand (node:crypto) over node:http",
  "the SDK's signer (@smithy/signature-v4) over node:http",
  "the SDK's client (ApiGatewayManagementApiClient, defaults)",
] as const;

/** A sink that answers every request as API Gateway answers a PostToConnection: 200, empty. */
const SINK = `
const http = require("node:http");
const server = http.createServer((req, res) => {
  req.resume();
  req.on("end", () => res.writeHead(200, { "content-length": "0" }).end());
});
server.keepAliveTimeout = 60000;
server.listen(0, "127.0.0.1", () => process.send(server.address().port));
process.on("disconnect", () => process.exit(0));
`;

const CREDENTIALS = {
  accessKeyId: "ASIABENCHEXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
  // Lambda's session tokens are about 1 KB, and every request carries one.
  sessionToken: "IQoJb3JpZ2luX2Vj".repeat(60),
};
const REGION = "us-east-1";
const CONNECTION_ID = "Ek02Ofq8IAMCEyw=";

type Post = (data: Uint8Array) => Promise<void>;

/** The function's @connections sender, compiled from `src/` for this process (util/ does not import src/). */
async function leanSender(endpoint: string, concurrency: number): Promise<Post> {
  const dir = mkdtempSync(join(tmpdir(), "fanout-bench-sender-"));
  try {
    const outfile = await buildNodeScript(
      join(repoRoot, "src/aws/connections.ts"),
      join(dir, "connections.mjs"),
    );
    const { ConnectionsApi } = (await import(pathToFileURL(outfile).href)) as {
      ConnectionsApi: new (
        endpoint: string,
        options: { concurrency: number; region: string; credentials: () => typeof CREDENTIALS },
      ) => { post: (id: string, data: Uint8Array, signal: AbortSignal) => Promise<void> };
    };
    const api = new ConnectionsApi(endpoint, { concurrency, region: REGION, credentials: () => CREDENTIALS });
    return (data) => api.post(CONNECTION_ID, data, new AbortController().signal);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One POST over a keep-alive agent, with the given headers. */
function plainPost(
  agent: http.Agent,
  url: URL,
  path: string,
  headers: Record<string, string>,
  data: Uint8Array,
) {
  return new Promise<void>((resolve, reject) => {
    const req = http.request(
      { agent, hostname: url.hostname, port: url.port, method: "POST", path, headers },
      (res) => {
        res.resume();
        res.on("end", resolve);
      },
    );
    req.on("error", reject);
    req.end(data);
  });
}

/** The four senders, in the order of {@link SEND_PATH_SENDERS}. */
async function senders(endpoint: string, concurrency: number): Promise<Post[]> {
  const url = new URL(endpoint);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const path = `${url.pathname}/@connections/${encodeURIComponent(CONNECTION_ID)}`;
  const signer = new SignatureV4({
    service: "execute-api",
    region: REGION,
    credentials: CREDENTIALS,
    sha256: NodeSha256,
  });
  const client = new ApiGatewayManagementApiClient({ endpoint, region: REGION, credentials: CREDENTIALS });
  return [
    (data) => plainPost(agent, url, path, { "content-length": String(data.byteLength) }, data),
    await leanSender(endpoint, concurrency),
    async (data) => {
      const signed = await signer.sign({
        method: "POST",
        protocol: "http:",
        hostname: url.hostname,
        port: Number(url.port),
        path,
        query: {},
        headers: {
          host: url.host,
          "content-type": "application/octet-stream",
          "content-length": String(data.byteLength),
        },
        body: data,
      });
      await plainPost(agent, url, path, signed.headers, data);
    },
    async (data) => {
      await client.send(new PostToConnectionCommand({ ConnectionId: CONNECTION_ID, Data: data }));
    },
  ];
}

/** Runs `sends` posts with `concurrency` in flight; resolves with this process's CPU for them, µs. */
async function cpuOf(post: Post, sends: number, concurrency: number, data: Uint8Array): Promise<number> {
  let started = 0;
  const lane = async () => {
    while (started < sends) {
      started += 1;
      await post(data);
    }
  };
  const before = process.cpuUsage();
  await Promise.all(Array.from({ length: concurrency }, lane));
  const used = process.cpuUsage(before);
  return used.user + used.system;
}

/**
 * Measures the CPU per send of each sender, one after the other, each warmed up first with as many sends.
 * @param sends - measured sends per sender
 * @param concurrency - sends in flight
 */
export async function measureSendPath(sends: number, concurrency = 64): Promise<SendPathResult> {
  const sink: ChildProcess = spawn(process.execPath, ["-e", SINK], {
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      sink.once("message", (message) => resolve(Number(message)));
      sink.once("exit", (code) => reject(new Error(`the HTTP sink exited (${code}) before listening`)));
    });
    const all = await senders(`http://127.0.0.1:${port}/prod`, concurrency);
    const data = Buffer.from(JSON.stringify({ message: { bench: "send-path", pad: "x".repeat(100) } }));
    const results: SendPathResult["senders"] = [];
    for (const [index, post] of all.entries()) {
      await cpuOf(post, sends, concurrency, data);
      const micros = await cpuOf(post, sends, concurrency, data);
      results.push({ sender: SEND_PATH_SENDERS[index] as string, microsPerSend: micros / sends });
    }
    return { sends, concurrency, senders: results };
  } finally {
    sink.kill();
  }
}

/**
 * The summary's line on the send path.
 * @param result - the measured send path, if the run measured it
 */
export function renderSendPathLine(result: SendPathResult | undefined): string[] {
  if (result === undefined) return [];
  const floor = result.senders[0]?.microsPerSend;
  return [
    `- send path alone (this process's CPU per PostToConnection to a keep-alive sink in another, ${result.concurrency} in flight, ` +
      `${result.sends.toLocaleString("en-US")} sends each): ` +
      result.senders
        .map(
          (s) =>
            `${s.sender} ${(s.microsPerSend / 1000).toFixed(3)} ms` +
            (floor && s !== result.senders[0] ? ` (${(s.microsPerSend / floor).toFixed(2)}x)` : ""),
        )
        .join("; "),
  ];
}
