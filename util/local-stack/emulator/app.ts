import { randomUUID } from "node:crypto";
import type { buildApp } from "fauxqs";

/** The Fastify app that fauxqs's `buildApp` returns: the public surface every emulator fix goes through. */
export type EmulatorApp = ReturnType<typeof buildApp>;

/** The part of Fastify's request that the fixes read (structural, so that `fastify` need not be a dependency). */
export interface EmulatorRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  query: unknown;
}

/** Escapes text for an XML element. */
export function escapeXml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&apos;");
}

/** A request id in S3's format (16 upper-case hex digits). */
function s3RequestId(): string {
  return randomUUID().replaceAll("-", "").toUpperCase().slice(0, 16);
}

/**
 * An error body in S3's shape: `<Error><Code>…</Code><Message>…</Message>…<RequestId>…</RequestId></Error>`, with
 * extra elements (such as `ArgumentName`) in between, as S3 writes them.
 */
export function s3ErrorXml(code: string, message: string, extra: Record<string, string> = {}): string {
  const fields = Object.entries(extra).map(([name, value]) => `<${name}>${escapeXml(value)}</${name}>`);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<Error><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message>${fields.join("")}` +
      `<RequestId>${s3RequestId()}</RequestId><HostId>fanout-local</HostId></Error>`,
  ].join("\n");
}

/** An error body in SNS's (query protocol) shape, as SNS and fauxqs write it. */
export function snsErrorXml(code: string, message: string, type: "Sender" | "Receiver" = "Sender"): string {
  return [
    '<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">',
    `  <Error><Type>${type}</Type><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error>`,
    `  <RequestId>${randomUUID()}</RequestId>`,
    "</ErrorResponse>",
  ].join("\n");
}

/** True for SNS and SQS calls (both `POST /` with their own content types); everything else is S3. */
export function isQueryOrJsonApi(request: EmulatorRequest): boolean {
  const type = String(request.headers["content-type"] ?? "");
  const path = request.url.split("?")[0];
  return (
    request.method === "POST" &&
    path === "/" &&
    (type.includes("x-www-form-urlencoded") || type.includes("x-amz-json-1.0"))
  );
}
