/**
 * Makes the topic's SNS API show and do what the deployed topic shows and does, or refuse with a clear error, through
 * hooks on the Fastify app that fauxqs's `buildApp` returns.
 *
 * fauxqs delivers only to SQS subscriptions, so the function's subscription is an SQS queue that the emulator
 * long-polls (see sns-delivery.ts). Through the SNS API that queue is the function:
 * - `ListSubscriptions`, `ListSubscriptionsByTopic` and `GetSubscriptionAttributes` show it as protocol `lambda` with the
 *   function's ARN as endpoint;
 * - `Unsubscribe` of it stops delivery, as on AWS, with a WARN line that says so and how to undo it;
 * - `Subscribe --protocol lambda` with the function's ARN (again) subscribes the queue;
 * - protocols fauxqs cannot deliver to (http, https, email, sms, application, firehose, another function) are refused
 *   with InvalidParameter, instead of being accepted and never delivering;
 * - `MessageStructure=json` (ignored by fauxqs) hands the function the `lambda` entry, else `default`, and a structure
 *   without a `default` string is refused with InvalidParameter, as SNS does.
 */

import { type EmulatorApp, type EmulatorRequest, escapeXml, snsErrorXml } from "../app.js";
import type { SnsEnvelope } from "../sns-delivery.js";

/** The function's subscription, as the emulator wired it. */
export interface LambdaSubscription {
  topicArn: string;
  functionArn: string;
  /** The emulator's internal queue that stands in for the function. */
  queueArn: string;
  /** The internal queue's subscription, shown as the function's. */
  subscriptionArn: string;
  /** The emulator's endpoint, for the hints in log lines. */
  endpoint: string;
}

/** What a publish with `MessageStructure` hands to the function, or why SNS refuses it. */
export type StructuredMessage = { message: string } | { error: string };

/**
 * The message the function receives for a publish (`lambda` entry, else `default`), or SNS's InvalidParameter text.
 * @param message - the published `Message`
 * @param structure - the published `MessageStructure`, if any
 */
export function messageForLambda(message: string, structure: string | undefined): StructuredMessage {
  if (structure === undefined || structure === "") return { message };
  if (structure !== "json")
    return { error: `Invalid parameter: MessageStructure must be "json", not "${structure}"` };
  let document: unknown;
  try {
    document = JSON.parse(message);
  } catch {
    return { error: "Invalid parameter: Message Structure - JSON message body failed to parse" };
  }
  if (typeof document !== "object" || document === null || Array.isArray(document)) {
    return { error: "Invalid parameter: Message Structure - JSON message body failed to parse" };
  }
  const entries = document as Record<string, unknown>;
  if (typeof entries.default !== "string") {
    return { error: "Invalid parameter: Message Structure - No default entry in JSON message body" };
  }
  return { message: typeof entries.lambda === "string" ? entries.lambda : entries.default };
}

/** Protocols SNS knows; all but `sqs` and the function's `lambda` would never deliver here. */
const UNDELIVERABLE = new Set(["http", "https", "email", "email-json", "sms", "application", "firehose"]);

/** The SNS API's view of the function's subscription; see the module comment. */
export class SnsFidelity {
  private target: LambdaSubscription | undefined;
  private current: string | undefined;
  /** The function's message per MessageId, for publishes with `MessageStructure=json`, until delivered. */
  private readonly structured = new Map<string, string>();
  /** Per request: what its response needs (set in preHandler, used in onSend). */
  private readonly pending = new WeakMap<object, (payload: string, status: number) => string>();

  /** @param warn - receives the loud lines (an unsubscribed function, a resubscribed one) */
  constructor(private readonly warn: (message: string) => void) {}

  /** The subscription ARN events carry now; undefined after an `Unsubscribe` of it. */
  get subscriptionArn(): string | undefined {
    return this.current;
  }

  /**
   * Takes the function's subscription into account from now on (before, every SNS call passes through unchanged,
   * which lets the emulator set the subscription up through the API).
   * @param target - the subscription the emulator made
   */
  attach(target: LambdaSubscription): void {
    this.target = target;
    this.current = target.subscriptionArn;
  }

  /**
   * The envelope as the function's subscription delivers it: with the `lambda`/`default` entry as `Message` when it
   * was published with `MessageStructure=json`.
   * @param envelope - the envelope fauxqs wrote to the internal queue
   */
  forFunction(envelope: SnsEnvelope): SnsEnvelope {
    const message = this.structured.get(envelope.MessageId);
    if (message === undefined) return envelope;
    this.structured.delete(envelope.MessageId);
    return { ...envelope, Message: message };
  }

  /**
   * Installs the hooks; call before the app listens.
   * @param app - the app `buildApp` returned
   */
  install(app: EmulatorApp): void {
    app.addHook("preHandler", async (request, reply) => {
      const params = snsParams(request);
      const target = this.target;
      if (params === undefined || target === undefined) return undefined;
      const refusal = this.prepare(request, params, target);
      if (refusal === undefined) return undefined;
      return reply
        .status(400)
        .header("content-type", "text/xml")
        .send(snsErrorXml("InvalidParameter", refusal));
    });
    // Synchronous, as in s3.ts: an async onSend hook makes fauxqs's handlers send twice.
    app.addHook("onSend", (request, reply, payload, done) => {
      const finish = this.pending.get(request);
      if (finish === undefined || typeof payload !== "string") return done(null, payload);
      return done(null, finish(payload, reply.statusCode));
    });
  }

  /** Checks or rewrites one SNS call; returns the InvalidParameter text to refuse it with. */
  private prepare(
    request: EmulatorRequest,
    params: Record<string, string>,
    target: LambdaSubscription,
  ): string | undefined {
    switch (params.Action) {
      case "Publish":
        return this.preparePublish(request, params);
      case "PublishBatch":
        return this.preparePublishBatch(request, params);
      case "Subscribe":
        return this.prepareSubscribe(request, params, target);
      case "Unsubscribe":
        if (params.SubscriptionArn === this.current) {
          this.pending.set(request, (payload, status) => {
            if (status === 200) this.unsubscribed(target);
            return payload;
          });
        }
        return undefined;
      case "SetSubscriptionAttributes":
        if (params.SubscriptionArn === this.current && params.AttributeName === "RawMessageDelivery") {
          return "Invalid parameter: Attributes Reason: RawMessageDelivery: Invalid value for protocol lambda";
        }
        return undefined;
      case "ListSubscriptions":
      case "ListSubscriptionsByTopic":
        this.pending.set(request, (payload) => this.showInList(payload, target));
        return undefined;
      case "GetSubscriptionAttributes":
        if (params.SubscriptionArn === this.current) {
          this.pending.set(request, (payload) => showInAttributes(payload, target));
        }
        return undefined;
      default:
        return undefined;
    }
  }

  private preparePublish(request: EmulatorRequest, params: Record<string, string>): string | undefined {
    if (params.MessageStructure === undefined) return undefined;
    const chosen = messageForLambda(params.Message ?? "", params.MessageStructure);
    if ("error" in chosen) return chosen.error;
    // The whole document goes on to fauxqs (its own SQS subscribers get it); the function gets its entry.
    this.pending.set(request, (payload, status) => {
      const id = /<MessageId>([^<]+)<\/MessageId>/.exec(payload)?.[1];
      // Recorded in onSend, before the delivery can arrive: that needs a socket read by the poller, which Node runs
      // only after the promise callbacks in which Fastify runs this hook.
      if (status === 200 && id !== undefined && this.current !== undefined)
        this.structured.set(id, chosen.message);
      return payload;
    });
    return undefined;
  }

  private preparePublishBatch(request: EmulatorRequest, params: Record<string, string>): string | undefined {
    const byEntryId = new Map<string, string>();
    for (const [name, structure] of Object.entries(params)) {
      const match = /^PublishBatchRequestEntries\.member\.(\d+)\.MessageStructure$/.exec(name);
      if (match === null) continue;
      const prefix = `PublishBatchRequestEntries.member.${match[1]}`;
      const chosen = messageForLambda(params[`${prefix}.Message`] ?? "", structure);
      if ("error" in chosen) return `${chosen.error} (entry ${params[`${prefix}.Id`] ?? match[1]})`;
      byEntryId.set(params[`${prefix}.Id`] ?? "", chosen.message);
    }
    if (byEntryId.size === 0) return undefined;
    this.pending.set(request, (payload, status) => {
      if (status !== 200 || this.current === undefined) return payload;
      for (const [, id, messageId] of payload.matchAll(/<Id>([^<]*)<\/Id><MessageId>([^<]+)<\/MessageId>/g)) {
        const message = byEntryId.get(id ?? "");
        if (message !== undefined && messageId !== undefined) this.structured.set(messageId, message);
      }
      return payload;
    });
    return undefined;
  }

  private prepareSubscribe(
    request: EmulatorRequest,
    params: Record<string, string>,
    target: LambdaSubscription,
  ): string | undefined {
    const protocol = params.Protocol ?? "";
    const only =
      `the local stack delivers its topic to its function (--protocol lambda --notification-endpoint ` +
      `${target.functionArn}) and to SQS queues of this emulator (--protocol sqs)`;
    if (UNDELIVERABLE.has(protocol)) {
      return `Invalid parameter: protocol ${protocol} never delivers here: ${only}`;
    }
    if (protocol === "sqs" && params.Endpoint === target.queueArn) {
      return `Invalid parameter: ${target.queueArn} is the local stack's internal delivery queue: ${only}`;
    }
    if (protocol !== "lambda") return undefined;
    if (params.Endpoint !== target.functionArn || params.TopicArn !== target.topicArn) {
      return `Invalid parameter: Endpoint ${params.Endpoint ?? ""} on ${params.TopicArn ?? ""}: ${only}`;
    }
    if (Object.values(params).includes("RawMessageDelivery")) {
      return "Invalid parameter: Attributes Reason: RawMessageDelivery: Invalid value for protocol lambda";
    }
    params.Protocol = "sqs";
    params.Endpoint = target.queueArn;
    this.pending.set(request, (payload, status) => {
      const arn = /<SubscriptionArn>([^<]+)<\/SubscriptionArn>/.exec(payload)?.[1];
      if (status !== 200 || arn === undefined) return payload;
      if (this.current === undefined) {
        this.warn(
          `SNS: ${target.functionArn} is subscribed to ${target.topicArn} again (${arn}); delivery resumes`,
        );
      }
      this.current = arn;
      return payload;
    });
    return undefined;
  }

  private unsubscribed(target: LambdaSubscription): void {
    this.warn(
      `SNS: Unsubscribe removed the subscription of ${target.functionArn} to ${target.topicArn}: publishes to the ` +
        "topic reach no function now, as on AWS. To deliver again: " +
        `aws --endpoint-url ${target.endpoint} sns subscribe --topic-arn ${target.topicArn} --protocol lambda ` +
        `--notification-endpoint ${target.functionArn} (or restart the local stack)`,
    );
    this.current = undefined;
  }

  private showInList(payload: string, target: LambdaSubscription): string {
    const current = this.current;
    if (current === undefined) return payload;
    return payload.replace(/<member>[\s\S]*?<\/member>/g, (member) =>
      member.includes(`<SubscriptionArn>${escapeXml(current)}</SubscriptionArn>`)
        ? member
            .replace("<Protocol>sqs</Protocol>", "<Protocol>lambda</Protocol>")
            .replace(
              `<Endpoint>${escapeXml(target.queueArn)}</Endpoint>`,
              `<Endpoint>${escapeXml(target.functionArn)}</Endpoint>`,
            )
        : member,
    );
  }
}

/** GetSubscriptionAttributes of the function's subscription: protocol lambda, the function as endpoint. */
function showInAttributes(payload: string, target: LambdaSubscription): string {
  return payload
    .replace("<key>Protocol</key><value>sqs</value>", "<key>Protocol</key><value>lambda</value>")
    .replace(
      `<key>Endpoint</key><value>${escapeXml(target.queueArn)}</value>`,
      `<key>Endpoint</key><value>${escapeXml(target.functionArn)}</value>`,
    )
    .replace(/<entry><key>RawMessageDelivery<\/key><value>[^<]*<\/value><\/entry>\s*/, "");
}

/** The parameters of an SNS call (form-encoded `POST /`), parsed by fauxqs's content-type parser. */
function snsParams(request: EmulatorRequest): Record<string, string> | undefined {
  const type = String(request.headers["content-type"] ?? "");
  if (request.method !== "POST" || !type.includes("x-www-form-urlencoded")) return undefined;
  const body = request.body;
  if (typeof body !== "object" || body === null || Buffer.isBuffer(body)) return undefined;
  return body as Record<string, string>;
}
