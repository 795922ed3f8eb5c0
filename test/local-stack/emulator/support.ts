import { createHash } from "node:crypto";
import { SignatureV4 } from "@smithy/signature-v4";
import type { SNSEvent } from "aws-lambda";
import { NodeSha256 } from "../../../util/lib/sdk-sha256.js";
import { type Emulator, startEmulator } from "../../../util/local-stack/emulator/emulator.js";
import { httpRequest, type RawResponse } from "../../support/http.js";

const signer = new SignatureV4({
  service: "s3",
  region: "us-east-1",
  credentials: { accessKeyId: "local", secretAccessKey: "local" },
  sha256: NodeSha256,
  // S3 signs the path as sent, unlike other services.
  uriEscapePath: false,
  applyChecksum: true,
});

/**
 * A SigV4-signed HTTP request made with node:http, the way the AWS CLI and boto3 make them: no SDK client, exactly the
 * headers given (no Content-Type unless given) and `Content-Length` set from the body, `0` for none.
 */
export async function signedRequest(
  endpoint: string,
  method: string,
  path: string,
  options: { query?: Record<string, string>; headers?: Record<string, string>; body?: string } = {},
): Promise<RawResponse> {
  const url = new URL(endpoint);
  const body = options.body ?? "";
  const signed = await signer.sign({
    method,
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path,
    query: options.query ?? {},
    headers: {
      host: url.host,
      "content-length": String(Buffer.byteLength(body)),
      "x-amz-content-sha256": createHash("sha256").update(body).digest("hex"),
      ...options.headers,
    },
    body,
  });
  const search = new URLSearchParams(options.query ?? {}).toString();
  return httpRequest(
    {
      method,
      host: url.hostname,
      port: url.port,
      path: search ? `${path}?${search}` : path,
      headers: signed.headers,
    },
    body,
  );
}

/** An emulator on a free port whose function is a recorder, for tests of the emulator alone. */
export interface TestEmulator extends Emulator {
  bucket: string;
  /** Every SNS event delivered to the function, in order. */
  delivered: SNSEvent[];
  /** Every line the emulator warned with. */
  warnings: string[];
}

/** Starts an emulator on 127.0.0.1 and a free port; stop it with `stop()`. */
export async function startTestEmulator(): Promise<TestEmulator> {
  const delivered: SNSEvent[] = [];
  const warnings: string[] = [];
  const bucket = "fanout-test-connections";
  const emulator = await startEmulator({
    host: "127.0.0.1",
    port: 0,
    region: "us-east-1",
    bucket,
    topicName: "fanout-test-input",
    functionName: "fanout-test",
    deliveryQueueName: "fanout-test-lambda-delivery",
    deliver: async (event) => {
      delivered.push(event);
    },
    warn: (line) => warnings.push(line),
  });
  return Object.assign(emulator, { bucket, delivered, warnings });
}

/** The text of the first `<name>` element of an XML body. */
export function xmlText(body: string, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(body)?.[1];
}
