/**
 * Makes fauxqs's SQS answer what SQS answers, through the public surface of the Fastify app that `buildApp` returns
 * (a hook and `inject`; nothing in `node_modules` is edited). Each gap has a canary in
 * test/local-stack/emulator/fauxqs-upstream.test.ts and the report text in docs/upstream/fauxqs-sqs.md.
 *
 * - The query protocol. fauxqs speaks only SQS's JSON protocol (`application/x-amz-json-1.0`, what SDKs released
 *   since late 2023 send); the AWS CLI 2.9 and boto3 1.26 of Debian 12 speak the query protocol (a form-encoded
 *   `Action=ReceiveMessage&Version=2012-11-05&…`), which fauxqs hands to its SNS router: `InvalidAction`. The calls an
 *   operator makes on the shard dead-letter queue (docs/scaling.md) are translated here to the JSON protocol, run
 *   through the app itself, and answered in the query protocol's XML.
 * - A JSON body that does not parse is answered 400 (see `sqsJsonError`), not 500.
 */
import { randomUUID } from "node:crypto";
import { type EmulatorApp, type EmulatorRequest, escapeXml } from "../app.js";

/** The SQS API version every query-protocol request names (SNS's is 2010-03-31). */
const SQS_QUERY_VERSION = "2012-11-05";

const NAMESPACE = "http://queue.amazonaws.com/doc/2012-11-05/";

/** Query parameters that are numbers in the JSON protocol. */
const NUMBERS = new Set([
  "MaxNumberOfMessages",
  "VisibilityTimeout",
  "WaitTimeSeconds",
  "DelaySeconds",
  "MaxResults",
]);

/** Lists the query protocol flattens as `<Name>.<n>`, with their JSON names. */
const LISTS: Record<string, string> = {
  AttributeName: "AttributeNames",
  MessageAttributeName: "MessageAttributeNames",
  MessageSystemAttributeName: "MessageSystemAttributeNames",
};

/** The actions translated (what inspecting and redriving a queue by hand takes), and how each result is written. */
const ACTIONS: Record<string, (result: Record<string, unknown>) => string> = {
  ListQueues: (result) => elements("QueueUrl", (result.QueueUrls as string[] | undefined) ?? []),
  GetQueueUrl: (result) => element("QueueUrl", result.QueueUrl),
  GetQueueAttributes: (result) => attributes("Attribute", result.Attributes),
  ReceiveMessage: (result) =>
    ((result.Messages as Array<Record<string, unknown>> | undefined) ?? []).map(message).join(""),
  SendMessage: (result) =>
    element("MD5OfMessageBody", result.MD5OfMessageBody) +
    element("MD5OfMessageAttributes", result.MD5OfMessageAttributes) +
    element("MessageId", result.MessageId),
  DeleteMessage: () => "",
  ChangeMessageVisibility: () => "",
  PurgeQueue: () => "",
};

/**
 * Installs the query-protocol translation; call before the app listens, and before the SNS fidelity's hooks (an SQS
 * call answered here never reaches them).
 * @param app - the app `buildApp` returned
 */
export function installSqsFidelity(app: EmulatorApp): void {
  app.addHook("preHandler", async (request, reply) => {
    const params = queryParams(request);
    if (params?.Version !== SQS_QUERY_VERSION) return undefined;
    const action = params.Action ?? "";
    const render = ACTIONS[action];
    if (render === undefined) {
      return reply
        .status(400)
        .header("content-type", "text/xml")
        .send(
          errorXml(
            "InvalidAction",
            `The local stack speaks the query protocol for ${Object.keys(ACTIONS).join(", ")} only; use a client that speaks SQS's JSON protocol for ${action || "this action"}.`,
          ),
        );
    }
    const answer = await app.inject({
      method: "POST",
      url: "/",
      headers: { "content-type": "application/x-amz-json-1.0", "x-amz-target": `AmazonSQS.${action}` },
      payload: JSON.stringify(jsonInput(params)),
    });
    const body = answer.body === "" ? {} : (JSON.parse(answer.body) as Record<string, unknown>);
    reply.status(answer.statusCode).header("content-type", "text/xml");
    if (answer.statusCode >= 400) {
      // fauxqs names the query protocol's code in x-amzn-query-error ("AWS.SimpleQueueService.NonExistentQueue;Sender").
      const [code] = String(answer.headers["x-amzn-query-error"] ?? "").split(";");
      const jsonCode = String(body.__type ?? "InternalFailure")
        .split("#")
        .pop();
      return reply.send(
        errorXml(code || jsonCode || "InternalFailure", String(body.message ?? body.Message ?? "")),
      );
    }
    const result = render(body);
    return reply.send(
      `<?xml version="1.0"?><${action}Response xmlns="${NAMESPACE}">` +
        (result === "" ? "" : `<${action}Result>${result}</${action}Result>`) +
        `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`,
    );
  });
}

/**
 * SQS's answer to a JSON-protocol request whose body does not parse: 400 `SerializationException`, the AWS JSON
 * protocol's error for a malformed body, where fauxqs's parser error reaches Fastify as a 500. Undefined for any
 * other request or error.
 * @param request - the request that failed
 * @param error - what Fastify caught
 */
export function sqsJsonError(
  request: EmulatorRequest,
  error: Error,
): { status: number; body: string } | undefined {
  const type = String(request.headers["content-type"] ?? "");
  if (!type.includes("x-amz-json-1.0") || !(error instanceof SyntaxError)) return undefined;
  return {
    status: 400,
    body: JSON.stringify({
      __type: "com.amazon.coral.service#SerializationException",
      message: `The request body is not valid JSON: ${error.message}`,
    }),
  };
}

/** The form fields of a query-protocol request, or undefined for any other. */
function queryParams(request: EmulatorRequest): Record<string, string> | undefined {
  const type = String(request.headers["content-type"] ?? "");
  if (request.method !== "POST" || !type.includes("x-www-form-urlencoded")) return undefined;
  const body = request.body;
  return typeof body === "object" && body !== null && !Buffer.isBuffer(body)
    ? (body as Record<string, string>)
    : undefined;
}

/** The JSON protocol's input for a query request's fields: numbers, flattened lists and message attributes. */
function jsonInput(params: Record<string, string>): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  const attributes: Record<string, Record<string, string>> = {};
  for (const [name, value] of Object.entries(params)) {
    if (name === "Action" || name === "Version") continue;
    const [head = "", index, ...rest] = name.split(".");
    const list = LISTS[head];
    if (list !== undefined && index !== undefined) {
      input[list] = [...((input[list] as string[] | undefined) ?? []), value];
    } else if (head === "MessageAttribute" && index !== undefined) {
      // MessageAttribute.1.Name=reason, MessageAttribute.1.Value.StringValue=…, MessageAttribute.1.Value.DataType=…
      const entry = attributes[index] ?? {};
      entry[rest.at(-1) ?? ""] = value;
      attributes[index] = entry;
    } else {
      input[name] = NUMBERS.has(name) ? Number(value) : value;
    }
  }
  const entries = Object.values(attributes).filter((entry) => entry.Name !== undefined);
  if (entries.length > 0) {
    input.MessageAttributes = Object.fromEntries(entries.map(({ Name, ...value }) => [Name, value]));
  }
  return input;
}

function element(name: string, value: unknown): string {
  return value === undefined || value === null ? "" : `<${name}>${escapeXml(String(value))}</${name}>`;
}

function elements(name: string, values: readonly unknown[]): string {
  return values.map((value) => element(name, value)).join("");
}

function attributes(name: string, map: unknown): string {
  return Object.entries((map ?? {}) as Record<string, unknown>)
    .map(([key, value]) => `<${name}>${element("Name", key)}${element("Value", value)}</${name}>`)
    .join("");
}

function message(entry: Record<string, unknown>): string {
  const messageAttributes = Object.entries(
    (entry.MessageAttributes ?? {}) as Record<string, Record<string, unknown>>,
  )
    .map(
      ([key, value]) =>
        `<MessageAttribute>${element("Name", key)}<Value>${element("StringValue", value.StringValue)}` +
        `${element("BinaryValue", value.BinaryValue)}${element("DataType", value.DataType)}</Value></MessageAttribute>`,
    )
    .join("");
  return (
    `<Message>${element("MessageId", entry.MessageId)}${element("ReceiptHandle", entry.ReceiptHandle)}` +
    `${element("MD5OfBody", entry.MD5OfBody)}${element("Body", entry.Body)}` +
    `${attributes("Attribute", entry.Attributes)}${element("MD5OfMessageAttributes", entry.MD5OfMessageAttributes)}` +
    `${messageAttributes}</Message>`
  );
}

/** An error in the query protocol's shape. */
function errorXml(code: string, text: string): string {
  return (
    `<?xml version="1.0"?><ErrorResponse xmlns="${NAMESPACE}"><Error><Type>Sender</Type>` +
    `${element("Code", code)}${element("Message", text)}<Detail/></Error>` +
    `<RequestId>${randomUUID()}</RequestId></ErrorResponse>`
  );
}
