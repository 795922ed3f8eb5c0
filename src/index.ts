/**
 * The Lambda entry point, bundled as `index.handler`, and the one table of event sources: it recognises each event
 * and loads the adapter of its source (`src/sources/`) with its dependencies (`src/app/`). Each `import()` is a
 * chunk of its own in the bundle (esbuild's code splitting), loaded once per execution environment and then kept by
 * the module cache, so only the first event of each kind pays for it. Many shards mean many cold starts, and most
 * of them are shard workers or authorizers: neither should load and compile what only the other needs, and an
 * authorizer loads no S3, SQS or @connections client at all.
 *
 * Only types are imported statically: the recognisers below are the whole of the entry chunk.
 */
import type { Context, SNSEvent, SQSBatchResponse, SQSEvent } from "aws-lambda";
import type { RouteResult } from "./actions/dependencies.js";
import type { AuthorizerDependencies } from "./app/authorizer-dependencies.js";
import type { Dependencies } from "./app/dependencies.js";
import type { AuthorizerEvent, AuthorizerResponse } from "./sources/authorizer.js";
import type { WebSocketEvent } from "./sources/websocket.js";

/**
 * What the function answers: a proxy integration result for WebSocket events, a policy for the `$connect`
 * authorizer, the records to retry for SQS, nothing for SNS.
 */
export type HandlerResult = RouteResult | AuthorizerResponse | SQSBatchResponse | undefined;

/** Where the adapters get their dependencies: those of this execution environment, or a test's. */
export interface Wiring {
  /** Configuration, logger and token verifier: all the authorizer needs. */
  authorizer(): Promise<AuthorizerDependencies>;
  /** Everything else: the stores, the @connections senders, the shard queue and pace. */
  everything(): Promise<Dependencies>;
}

/** One event source: how its events are recognised, which dependencies its adapter needs, and the adapter. */
interface EventSource<E, D extends AuthorizerDependencies> {
  /** Recognises the source's events by their shape. */
  recognise(event: unknown): event is E;
  /** The adapter's dependencies. */
  dependencies(wiring: Wiring): Promise<D>;
  /** Loads the adapter (a chunk of its own). */
  load(): Promise<{ handle(deps: D, event: E, context: Context | undefined): Promise<HandlerResult> }>;
}

function source<E, D extends AuthorizerDependencies>(entry: EventSource<E, D>): EventSource<E, D> {
  return entry;
}

/**
 * The event sources, tried in this order: an authorizer event also has a request context with
 * `eventType: "CONNECT"` and a route key, so it goes first. The last entry is the explicit not-found path.
 */
export const EVENT_SOURCES = {
  authorizer: source({
    recognise: isAuthorizerEvent,
    dependencies: (wiring) => wiring.authorizer(),
    load: () => import("./sources/authorizer.js"),
  }),
  websocket: source({
    recognise: isWebSocketEvent,
    dependencies: (wiring) => wiring.everything(),
    load: () => import("./sources/websocket.js"),
  }),
  sns: source({
    recognise: isSnsEvent,
    dependencies: (wiring) => wiring.everything(),
    load: () => import("./sources/sns.js"),
  }),
  sqs: source({
    recognise: isSqsEvent,
    dependencies: (wiring) => wiring.everything(),
    load: () => import("./sources/sqs.js"),
  }),
  unrecognised: source({
    recognise: (event: unknown): event is unknown => true,
    // The logger is all it needs, and the authorizer's dependencies load no client.
    dependencies: (wiring) => wiring.authorizer(),
    load: async () => ({ handle: unrecognised }),
  }),
};

/**
 * Builds the handler of every event over the given dependencies.
 * @param wiring - where the adapters get their dependencies
 */
export function createHandler(
  wiring: Wiring,
): (event: unknown, context: Context | undefined) => Promise<HandlerResult> {
  return async (event, context) => {
    const entry = EVENT_SOURCES[sourceOf(event)] as EventSource<unknown, AuthorizerDependencies>;
    return await run(entry, wiring, event, context);
  };
}

/** The name of one event source. */
export type EventSourceName = keyof typeof EVENT_SOURCES;

/**
 * The source of an event: the first entry of {@link EVENT_SOURCES} that recognises it.
 * @param event - whatever Lambda was invoked with
 */
export function sourceOf(event: unknown): EventSourceName {
  for (const [name, entry] of Object.entries(EVENT_SOURCES)) {
    if (entry.recognise(event)) return name as EventSourceName;
  }
  return "unrecognised";
}

/** Runs one adapter with the invocation's request id on every log line, and no key left behind afterwards. */
async function run<E, D extends AuthorizerDependencies>(
  entry: EventSource<E, D>,
  wiring: Wiring,
  event: E,
  context: Context | undefined,
): Promise<HandlerResult> {
  const deps = await entry.dependencies(wiring);
  const adapter = await entry.load();
  deps.log.appendKeys({ requestId: context?.awsRequestId });
  try {
    return await adapter.handle(deps, event, context);
  } finally {
    deps.log.resetKeys();
  }
}

/**
 * The handler of every event: API Gateway WebSocket events (every route key of the contract), the `$connect`
 * authorizer's, SNS events and SQS events of the shard queue.
 */
export const handler = createHandler({
  authorizer: async () => (await import("./app/authorizer-dependencies.js")).authorizerDependencies(),
  everything: async () => (await import("./app/dependencies.js")).dependencies(),
});

/**
 * An event of no known source: logged, not thrown, since an asynchronous source would retry the same
 * unrecognisable event.
 */
async function unrecognised(deps: AuthorizerDependencies, event: unknown): Promise<HandlerResult> {
  deps.log.error("unrecognised event: expected an API Gateway WebSocket event, an SNS or an SQS event", {
    eventKeys: isObject(event) ? Object.keys(event).slice(0, 20) : [],
  });
  return { statusCode: 400, body: "unrecognised event" };
}

/**
 * A REQUEST authorizer event, recognised by its `type` and `methodArn`, which no other event the function gets has.
 * @param event - whatever Lambda was invoked with
 */
export function isAuthorizerEvent(event: unknown): event is AuthorizerEvent {
  return isObject(event) && event.type === "REQUEST" && typeof event.methodArn === "string";
}

const WEBSOCKET_EVENT_TYPES = new Set(["CONNECT", "DISCONNECT", "MESSAGE"]);

/**
 * A WebSocket event: a request context with a connection id, a route key and one of the three event types.
 * @param event - whatever Lambda was invoked with
 */
function isWebSocketEvent(event: unknown): event is WebSocketEvent {
  if (!isObject(event)) return false;
  const context = event.requestContext;
  return (
    isObject(context) &&
    typeof context.connectionId === "string" &&
    typeof context.routeKey === "string" &&
    typeof context.eventType === "string" &&
    WEBSOCKET_EVENT_TYPES.has(context.eventType)
  );
}

/**
 * An SNS event: records whose `EventSource` is `aws:sns`.
 * @param event - whatever Lambda was invoked with
 */
function isSnsEvent(event: unknown): event is SNSEvent {
  return hasRecords(event, (record) => record.EventSource === "aws:sns" && isObject(record.Sns));
}

/**
 * An SQS event (the shard queue's event source mapping): records whose `eventSource` is `aws:sqs` (lower-case
 * key, unlike SNS's), with a message id and a body.
 * @param event - whatever Lambda was invoked with
 */
function isSqsEvent(event: unknown): event is SQSEvent {
  return hasRecords(
    event,
    (record) =>
      record.eventSource === "aws:sqs" &&
      typeof record.messageId === "string" &&
      typeof record.body === "string",
  );
}

function hasRecords(event: unknown, each: (record: Record<string, unknown>) => boolean): boolean {
  if (!isObject(event)) return false;
  const records = event.Records;
  return (
    Array.isArray(records) &&
    records.length > 0 &&
    records.every((record) => isObject(record) && each(record))
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
