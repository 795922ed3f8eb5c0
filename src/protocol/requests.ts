/**
 * Reading requests, the frames a client sends: JSON text objects with an `action` (docs/protocol.md). One grammar entry
 * per client action says how its fields are read; `parseRequest` reads the envelope (text, JSON, object, action,
 * the optional client-chosen `id`) and hands the rest to the action's entry. Every refusal names the first thing
 * to fix and carries the context fields a client library matches it by.
 */
import { type ClientAction, isClientAction } from "../contract/actions.js";
import {
  CHANNEL_EXAMPLE,
  channelProblem,
  idProblem,
  isValidChannel,
  isValidId,
  isValidLimit,
  readPosition,
} from "../contract/grammar.js";
import {
  DEFAULT_HISTORY_LIMIT,
  MAX_CHANNEL_LENGTH,
  MAX_HISTORY_LIMIT,
  MAX_ID_LENGTH,
} from "../contract/limits.js";
import type { Position } from "../contract/messages.js";
import type { Result } from "../contract/result.js";
import { context, describe, type Rejection, type RejectionContext, reject } from "./errors.js";

/** A valid `broadcast`. `id` is the client's, or undefined when it sent none. */
export interface BroadcastRequest {
  action: "broadcast";
  message: unknown;
  id: string | undefined;
}

/** A valid `ping`. */
export interface PingRequest {
  action: "ping";
}

/** A valid `subscribe` or `unsubscribe`. */
export interface MembershipRequest<A extends "subscribe" | "unsubscribe" = "subscribe" | "unsubscribe"> {
  action: A;
  channel: string;
}

/** A valid `subscribe`: the channel, and the last position the client saw, if it sent one (`since`). */
export interface SubscribeRequest extends MembershipRequest<"subscribe"> {
  since: Position | undefined;
}

/** A valid `history`: the channel, and how many of its newest messages. */
export interface HistoryRequest {
  action: "history";
  channel: string;
  limit: number;
}

/** A valid `publish`. `id` is the client's, or undefined when it sent none. */
export interface PublishRequest {
  action: "publish";
  channel: string;
  message: unknown;
  id: string | undefined;
}

/** How one action's request reads. */
export interface RequestGrammar<R> {
  /** A request that performs the action, as the error texts suggest it. */
  example: string;
  /**
   * Whether the action takes the optional client-chosen `id` (docs/protocol.md: broadcast and publish). {@link parseRequest}
   * reads and checks it once, before {@link RequestGrammar.parse}, and passes it in.
   */
  takesId: boolean;
  /**
   * Reads the action's own fields from a request already known to be a JSON object with this `action`.
   * @param request - the request
   * @param id - the checked `id` when {@link RequestGrammar.takesId} and the request has one, else undefined
   */
  parse(request: Readonly<Record<string, unknown>>, id: string | undefined): Result<R, Rejection>;
}

/** Declares an entry, inferring its request type from `parse`. */
function grammar<R>(entry: RequestGrammar<R>): RequestGrammar<R> {
  return entry;
}

/**
 * The grammar of every client action. Adding an action is a name in `CLIENT_ACTIONS` (`src/contract/actions.ts`),
 * one entry here and one in the route table (`src/actions/routes.ts`); the compiler refuses one without the others.
 */
export const REQUEST_GRAMMAR = {
  broadcast: grammar<BroadcastRequest>({
    example: '{"action":"broadcast","message":"hello"}',
    takesId: true,
    parse: (request, id) =>
      "message" in request
        ? { ok: true, value: { action: "broadcast", message: request.message, id } }
        : reject(
            "MISSING_MESSAGE",
            `A broadcast needs a "message" field (any JSON value), such as {"action":"broadcast","message":"hello"}.`,
            // Without an id, the error frame of the first protocol, byte for byte.
            id === undefined ? {} : context("broadcast", undefined, id),
          ),
  }),
  ping: grammar<PingRequest>({
    example: '{"action":"ping"}',
    takesId: false,
    parse: () => ({ ok: true, value: { action: "ping" } }),
  }),
  subscribe: grammar({
    example: '{"action":"subscribe","channel":"news"}',
    takesId: false,
    parse: parseSubscribeRequest,
  }),
  unsubscribe: grammar({
    example: '{"action":"unsubscribe","channel":"news"}',
    takesId: false,
    parse: (request) => parseMembershipRequest(request, "unsubscribe"),
  }),
  publish: grammar({
    example: '{"action":"publish","channel":"news","message":"hello"}',
    takesId: true,
    parse: parsePublishRequest,
  }),
  history: grammar({
    example: '{"action":"history","channel":"news","limit":10}',
    takesId: false,
    parse: parseHistoryRequest,
  }),
} satisfies { [A in ClientAction]: RequestGrammar<{ action: A }> };

/** The request of one action. */
export type RequestOf<A extends ClientAction> =
  (typeof REQUEST_GRAMMAR)[A] extends RequestGrammar<infer R> ? R & { action: A } : never;

/** A request the service understands: the action's name and its fields. */
export type ClientRequest = { [A in ClientAction]: RequestOf<A> }[ClientAction];

/** Every action's example, for the error texts: `A, B or C`. */
export const EXAMPLES = listExamples(Object.values(REQUEST_GRAMMAR).map((entry) => entry.example));

function listExamples(examples: string[]): string {
  const last = examples.at(-1) ?? "";
  return examples.length > 1 ? `${examples.slice(0, -1).join(", ")} or ${last}` : last;
}

/**
 * Reads a request. API Gateway routes on `$request.body.action`, but the body is checked again here: the
 * `$default` route receives every request that did not match, and a binary frame never has a usable action.
 * @param body - the frame's text as API Gateway passes it
 * @param isBase64Encoded - true for binary frames
 * @param routeKey - the route API Gateway chose; when given, a request that names another client action is refused
 *   (ROUTE_MISMATCH), so that what runs is what was routed, under that route's throttle and rights
 */
export function parseRequest(
  body: string | undefined,
  isBase64Encoded: boolean,
  routeKey?: string,
): Result<ClientRequest, Rejection> {
  if (isBase64Encoded) {
    return reject(
      "BINARY_NOT_SUPPORTED",
      `Binary frames are not supported; send JSON text frames such as ${EXAMPLES}.`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(body ?? "");
  } catch {
    return reject("INVALID_JSON", `The frame is not valid JSON; send a JSON object such as ${EXAMPLES}.`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return reject(
      "NOT_AN_OBJECT",
      `The frame must be a JSON object with an "action" field, such as ${EXAMPLES}.`,
    );
  }
  const request = value as Record<string, unknown>;
  if (!("action" in request)) {
    return reject("MISSING_ACTION", `The object has no "action" field; send ${EXAMPLES}.`);
  }
  const name = request.action;
  if (!isClientAction(name)) {
    return reject("UNKNOWN_ACTION", `Unknown action ${describe(name)}; send ${EXAMPLES}.`);
  }
  // JSON parsers disagree on duplicate keys (first or last wins): `{"action":"ping","action":"broadcast"}` may be
  // routed as a ping, with a ping's throttle, and read here as a broadcast. Either way the two must agree.
  if (routeKey !== undefined && routeKey !== name) {
    return reject(
      "ROUTE_MISMATCH",
      `The request was routed as ${JSON.stringify(routeKey)} but names the action ${JSON.stringify(name)}; send one "action" field, such as ${REQUEST_GRAMMAR[name].example}.`,
      context(name),
    );
  }
  const entry = REQUEST_GRAMMAR[name] as RequestGrammar<ClientRequest>;
  let id: string | undefined;
  if (entry.takesId) {
    const checked = checkId(request);
    if (!checked.ok) return { ok: false, error: { ...checked.error, ...idRejectionContext(request, name) } };
    id = checked.value;
  }
  return entry.parse(request, id);
}

/**
 * Checks a channel name against the grammar (`channelProblem` of `src/contract/grammar.ts`).
 * @param channel - the `channel` field as the client sent it
 */
export function checkChannel(channel: unknown): Result<string, Rejection> {
  const problem = channelProblem(channel);
  return problem === undefined ? { ok: true, value: channel as string } : reject("INVALID_CHANNEL", problem);
}

/**
 * Checks an optional client-chosen id: absent is fine (undefined), otherwise 1..64 characters of `[A-Za-z0-9_-]`.
 * @param request - the client's request
 */
export function checkId(request: Readonly<Record<string, unknown>>): Result<string | undefined, Rejection> {
  if (!("id" in request) || request.id === undefined) return { ok: true, value: undefined };
  const id = request.id;
  return isValidId(id) ? { ok: true, value: id } : reject("INVALID_ID", idProblem());
}

/**
 * Reads a `subscribe` or `unsubscribe` request (already parsed as a JSON object with that action).
 * @param request - the client's request
 * @param action - which of the two it is
 */
export function parseMembershipRequest<A extends "subscribe" | "unsubscribe">(
  request: Readonly<Record<string, unknown>>,
  action: A,
): Result<MembershipRequest<A>, Rejection> {
  const channel = readChannel(request, action);
  if (!channel.ok) return channel;
  return { ok: true, value: { action, channel: channel.value } };
}

/**
 * Reads a `subscribe` request: its channel, then its optional `since` (INVALID_POSITION).
 * @param request - the client's request
 */
function parseSubscribeRequest(
  request: Readonly<Record<string, unknown>>,
): Result<SubscribeRequest, Rejection> {
  const membership = parseMembershipRequest(request, "subscribe");
  if (!membership.ok) return membership;
  const { channel } = membership.value;
  if (request.since === undefined) return { ok: true, value: { ...membership.value, since: undefined } };
  const since = readPosition(request.since);
  if ("problem" in since) return reject("INVALID_POSITION", since.problem, context("subscribe", channel));
  return { ok: true, value: { ...membership.value, since: since.position } };
}

/**
 * Reads a `history` request: its channel, then its optional `limit` (INVALID_LIMIT; default
 * {@link DEFAULT_HISTORY_LIMIT}).
 * @param request - the client's request
 */
function parseHistoryRequest(request: Readonly<Record<string, unknown>>): Result<HistoryRequest, Rejection> {
  const channel = readChannel(request, "history");
  if (!channel.ok) return channel;
  // `"limit": null` is refused like any other value that is not a limit; only an absent one takes the default.
  const limit = request.limit === undefined ? DEFAULT_HISTORY_LIMIT : request.limit;
  if (!isValidLimit(limit)) {
    return reject(
      "INVALID_LIMIT",
      `"limit" must be a whole number from 1 to ${MAX_HISTORY_LIMIT} (default ${DEFAULT_HISTORY_LIMIT}), such as {"action":"history","channel":${CHANNEL_EXAMPLE},"limit":10}.`,
      context("history", channel.value),
    );
  }
  return { ok: true, value: { action: "history", channel: channel.value, limit } };
}

/**
 * Reads a `publish` request (already parsed as a JSON object with that action, its optional `id` already checked
 * by {@link checkId}). Checked in the order channel, message, so the refusal names the first thing to fix.
 * @param request - the client's request
 * @param id - the request's checked id, or undefined when it has none
 */
export function parsePublishRequest(
  request: Readonly<Record<string, unknown>>,
  id: string | undefined,
): Result<PublishRequest, Rejection> {
  const channel = readChannel(request, "publish");
  if (!channel.ok) return channel;
  if (!("message" in request)) {
    return reject(
      "MISSING_MESSAGE",
      `A publish needs a "message" field (any JSON value), such as {"action":"publish","channel":${CHANNEL_EXAMPLE},"message":"hello"}.`,
      context("publish", channel.value, id),
    );
  }
  return { ok: true, value: { action: "publish", channel: channel.value, message: request.message, id } };
}

/**
 * The context of a refusal about a request's `id` (INVALID_ID): its action, and its channel when that is a valid
 * name (so a client library can still match the error to its request).
 * @param request - the client's request
 * @param action - its action
 */
function idRejectionContext(request: Readonly<Record<string, unknown>>, action: string): RejectionContext {
  return context(action, isValidChannel(request.channel) ? request.channel : undefined);
}

function readChannel(
  request: Readonly<Record<string, unknown>>,
  action: "subscribe" | "unsubscribe" | "publish" | "history",
): Result<string, Rejection> {
  const id = echoable(request.id, MAX_ID_LENGTH);
  if (!("channel" in request)) {
    return reject(
      "MISSING_CHANNEL",
      `A ${action} needs a "channel" field, such as {"action":"${action}","channel":${CHANNEL_EXAMPLE}${action === "publish" ? ',"message":"hello"' : ""}}.`,
      context(action, undefined, id),
    );
  }
  const checked = checkChannel(request.channel);
  if (!checked.ok) {
    return {
      ok: false,
      error: { ...checked.error, ...context(action, echoable(request.channel, MAX_CHANNEL_LENGTH), id) },
    };
  }
  return checked;
}

/** A value echoed in an error's context only when it is a string short enough to echo. */
function echoable(value: unknown, maxLength: number): string | undefined {
  return typeof value === "string" && value.length <= maxLength ? value : undefined;
}
