/**
 * Makes fauxqs's S3 take what S3 takes and refuse what S3 refuses, through the public surface of the Fastify app that
 * `buildApp` returns (hooks and handlers; nothing in `node_modules` is edited). Each gap is listed in
 * docs/upstream/fauxqs-empty-put.md and has a canary in test/local-stack/emulator/fauxqs-upstream.test.ts that fails
 * once fauxqs closes it, so that the fix here can go.
 *
 * - An empty PutObject without a Content-Type (the AWS CLI's and boto3's `put-object` with no body) reached fauxqs with
 *   `request.body` undefined (Fastify parses no body for `Content-Length: 0` without a type) and crashed in
 *   `Buffer.from(undefined)` with a 500: the body becomes an empty buffer.
 * - DeleteObjects with more than 1,000 keys is refused with 400 MalformedXML, as S3 does.
 * - ListObjectsV2 continuation tokens are fauxqs's base64 of the last key, accepted whatever they hold; here they
 *   carry a MAC, and a token this emulator did not issue is refused with 400 InvalidArgument, as S3 does.
 * - Errors fauxqs does not model (a crash, an unknown route, a body too large) answer in S3's XML error shape instead
 *   of Fastify's JSON.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import {
  type EmulatorApp,
  type EmulatorRequest,
  escapeXml,
  isQueryOrJsonApi,
  s3ErrorXml,
  snsErrorXml,
} from "../app.js";
import { sqsJsonError } from "./sqs.js";

/** S3's limit on the keys of one DeleteObjects request. */
const S3_DELETE_OBJECTS_LIMIT = 1000;

/** Options of {@link installS3Fidelity}. */
export interface S3FidelityOptions {
  /** Receives a line for every 5xx the emulator answers, with the cause, so a crash is never silent. */
  warn: (message: string) => void;
}

const TOKEN = "continuation-token";
const MAC_SEPARATOR = ".";

/**
 * Installs the S3 fixes on a fauxqs app; call before the app listens.
 * @param app - the app `buildApp` returned
 * @param options - where 5xx causes go
 */
export function installS3Fidelity(app: EmulatorApp, options: S3FidelityOptions): void {
  // A per-process key: tokens are only valid against the emulator that issued them, which holds the data anyway.
  const tokenKey = randomBytes(32);
  const mac = (token: string) =>
    createHmac("sha256", tokenKey).update(token).digest("base64url").slice(0, 22);
  /** The token the client sent, per request whose token was unwrapped, to echo it back unchanged. */
  const sentTokens = new WeakMap<object, string>();

  app.addHook("preValidation", async (request, reply) => {
    if (isQueryOrJsonApi(request)) return;
    if (request.body === undefined && (request.method === "PUT" || request.method === "POST")) {
      request.body = Buffer.alloc(0);
    }
    if (request.method === "POST" && "delete" in queryOf(request)) {
      const keys = countObjects(request.body);
      if (keys > S3_DELETE_OBJECTS_LIMIT) {
        return reply
          .status(400)
          .header("content-type", "application/xml")
          .send(
            s3ErrorXml(
              "MalformedXML",
              `The XML you provided was not well-formed or did not validate against our published schema ` +
                `(DeleteObjects takes at most ${S3_DELETE_OBJECTS_LIMIT} keys; this request has ${keys})`,
            ),
          );
      }
    }
    const query = queryOf(request);
    const sent = query[TOKEN];
    if (request.method === "GET" && typeof sent === "string") {
      const cut = sent.lastIndexOf(MAC_SEPARATOR);
      const inner = sent.slice(0, Math.max(cut, 0));
      if (cut < 0 || !equalText(mac(inner), sent.slice(cut + 1))) {
        return reply
          .status(400)
          .header("content-type", "application/xml")
          .send(
            s3ErrorXml("InvalidArgument", "The continuation token provided is incorrect", {
              ArgumentName: TOKEN,
              ArgumentValue: sent,
            }),
          );
      }
      query[TOKEN] = inner;
      sentTokens.set(request, sent);
    }
    return undefined;
  });

  // onSend hooks here call `done` at once: an async one lets fauxqs's async handlers, which call `reply.send()` and
  // return undefined, see the reply as not yet sent and send it a second time (a 500 once two such hooks run).
  app.addHook("onSend", (request, _reply, payload, done) => {
    if (typeof payload !== "string" || !payload.includes("<ListBucketResult")) return done(null, payload);
    let body = payload.replace(
      /<NextContinuationToken>([^<]*)<\/NextContinuationToken>/,
      (_all, token: string) =>
        `<NextContinuationToken>${token}${MAC_SEPARATOR}${mac(token)}</NextContinuationToken>`,
    );
    const sent = sentTokens.get(request);
    if (sent !== undefined) {
      body = body.replace(
        /<ContinuationToken>[^<]*<\/ContinuationToken>/,
        `<ContinuationToken>${escapeXml(sent)}</ContinuationToken>`,
      );
    }
    return done(null, body);
  });

  app.setNotFoundHandler((request, reply) => {
    if (isQueryOrJsonApi(request)) return reply.status(404).send({ message: "Not Found" });
    return reply
      .status(405)
      .header("content-type", "application/xml")
      .send(
        s3ErrorXml("MethodNotAllowed", "The specified method is not allowed against this resource.", {
          Method: request.method,
          ResourceType: "OBJECT",
        }),
      );
  });

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    const malformed = sqsJsonError(request, error);
    if (malformed !== undefined) {
      return reply
        .status(malformed.status)
        .header("content-type", "application/x-amz-json-1.0")
        .send(malformed.body);
    }
    const status = typeof error.statusCode === "number" && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500)
      options.warn(`emulator: ${status} on ${request.method} ${request.url}: ${error.message}`);
    if (isQueryOrJsonApi(request)) {
      // Fastify's body errors on the SNS and SQS endpoint: answered in SNS's shape (SQS clients read the status).
      return reply
        .status(status)
        .header("content-type", "text/xml")
        .send(snsErrorXml(status >= 500 ? "InternalFailure" : "InvalidParameter", error.message));
    }
    const code =
      status >= 500
        ? "InternalError"
        : error.code === "FST_ERR_CTP_BODY_TOO_LARGE"
          ? "EntityTooLarge"
          : "InvalidRequest";
    return reply
      .status(status === 413 ? 400 : status)
      .header("content-type", "application/xml")
      .send(
        s3ErrorXml(
          code,
          status >= 500 ? `We encountered an internal error: ${error.message}` : error.message,
        ),
      );
  });
}

function queryOf(request: EmulatorRequest): Record<string, unknown> {
  return (request.query ?? {}) as Record<string, unknown>;
}

/** The `<Object>` entries of a DeleteObjects body (a Buffer from fauxqs's parser, or text). */
function countObjects(body: unknown): number {
  const text = Buffer.isBuffer(body) ? body.toString("utf8") : typeof body === "string" ? body : "";
  return text.match(/<Object>/g)?.length ?? 0;
}

function equalText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
