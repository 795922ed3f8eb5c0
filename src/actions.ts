import { checkId, idRejectionContext, parseMembershipRequest, parsePublishRequest } from "./channels.js";
import { type ClientAction, isClientAction } from "./contract/actions.js";
import { describe, type Rejection, reject } from "./protocol.js";
import { broadcast } from "./routes/broadcast.js";
import { ping } from "./routes/ping.js";
import { publish } from "./routes/publish.js";
import { subscribe } from "./routes/subscribe.js";
import type { MessageDependencies, RouteResult } from "./routes/types.js";
import { unsubscribe } from "./routes/unsubscribe.js";

/** What an action's parser answers: the request's fields, or why the frame is refused. */
export type Parsed<R> = { ok: true; request: R } | { ok: false; rejection: Rejection };

/**
 * One client action: how its frame is read and what it does. The action name is the key of {@link ACTIONS}
 * (declared in `contracts.ts`, where the stack and the local stack take their route keys from).
 */
export interface ActionEntry<R> {
  /** A frame that performs the action, as the error texts suggest it. */
  example: string;
  /**
   * Whether the action takes the optional client-chosen `id` (CONTRACT.md: broadcast and publish). {@link parseFrame}
   * reads and checks it once, before {@link ActionEntry.parse}, and passes it in.
   */
  takesId: boolean;
  /**
   * Reads the action's own fields from a frame already known to be a JSON object with this `action`.
   * @param frame - the frame
   * @param id - the checked `id` when {@link ActionEntry.takesId} and the frame has one, else undefined
   */
  parse(frame: Readonly<Record<string, unknown>>, id: string | undefined): Parsed<R>;
  /** The use case. */
  run(deps: MessageDependencies, connectionId: string, request: R): Promise<RouteResult>;
}

/** Declares an entry, inferring its request type from `parse`. */
function action<R>(entry: ActionEntry<R>): ActionEntry<R> {
  return entry;
}

/**
 * The route table: every client action, with its parsing and its use case. Adding an action is a name in
 * `CLIENT_ACTIONS` (contracts.ts), one entry here and its use case; the compiler refuses one without the other.
 */
export const ACTIONS = {
  broadcast: action({
    example: '{"action":"broadcast","message":"hello"}',
    takesId: true,
    parse: (frame, id) =>
      "message" in frame
        ? { ok: true, request: { message: frame.message, id } }
        : reject(
            "MISSING_MESSAGE",
            `A broadcast needs a "message" field (any JSON value), such as {"action":"broadcast","message":"hello"}.`,
            // Without an id, the error frame of the first protocol, byte for byte.
            id === undefined ? {} : { action: "broadcast", id },
          ),
    run: (deps, connectionId, request) => broadcast(deps, connectionId, request.message, request.id),
  }),
  ping: action({
    example: '{"action":"ping"}',
    takesId: false,
    parse: () => ({ ok: true, request: {} }),
    run: (deps, connectionId) => ping(deps, connectionId),
  }),
  subscribe: action({
    example: '{"action":"subscribe","channel":"news"}',
    takesId: false,
    parse: (frame) => membership(frame, "subscribe"),
    run: (deps, connectionId, request) => subscribe(deps, connectionId, request),
  }),
  unsubscribe: action({
    example: '{"action":"unsubscribe","channel":"news"}',
    takesId: false,
    parse: (frame) => membership(frame, "unsubscribe"),
    run: (deps, connectionId, request) => unsubscribe(deps, connectionId, request),
  }),
  publish: action({
    example: '{"action":"publish","channel":"news","message":"hello"}',
    takesId: true,
    parse: (frame, id): Parsed<{ channel: string; message: unknown; id: string | undefined }> => {
      const parsed = parsePublishRequest(frame, id);
      if (!parsed.ok) return parsed;
      const { channel, message } = parsed.value;
      return { ok: true, request: { channel, message, id } };
    },
    run: (deps, connectionId, request) => publish(deps, connectionId, request),
  }),
} satisfies { [A in ClientAction]: ActionEntry<unknown> };

/** A subscribe's or unsubscribe's fields. */
function membership(
  frame: Readonly<Record<string, unknown>>,
  name: "subscribe" | "unsubscribe",
): Parsed<{ channel: string }> {
  const parsed = parseMembershipRequest(frame, name);
  return parsed.ok ? { ok: true, request: { channel: parsed.value.channel } } : parsed;
}

type RequestOf<A extends ClientAction> = (typeof ACTIONS)[A] extends ActionEntry<infer R> ? R : never;

/** A frame the client sent that the service understands: the action's name and its fields. */
export type ClientRequest = { [A in ClientAction]: { action: A } & RequestOf<A> }[ClientAction];

/** The result of reading one client frame. */
export type ParsedFrame = { ok: true; request: ClientRequest } | { ok: false; rejection: Rejection };

/** Every action's example, for the error texts: `A, B or C`. */
export const EXAMPLES = listExamples(Object.values(ACTIONS).map((entry) => entry.example));

function listExamples(examples: string[]): string {
  const last = examples.at(-1) ?? "";
  return examples.length > 1 ? `${examples.slice(0, -1).join(", ")} or ${last}` : last;
}

/**
 * Reads a client frame. API Gateway routes on `$request.body.action`, but the body is checked again here: the
 * `$default` route receives every frame that did not match, and a binary frame never has a usable action.
 * @param body - the frame's text as API Gateway passes it
 * @param isBase64Encoded - true for binary frames
 */
export function parseFrame(body: string | undefined, isBase64Encoded: boolean): ParsedFrame {
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
  const frame = value as Record<string, unknown>;
  if (!("action" in frame)) {
    return reject("MISSING_ACTION", `The object has no "action" field; send ${EXAMPLES}.`);
  }
  const name = frame.action;
  if (!isClientAction(name)) {
    return reject("UNKNOWN_ACTION", `Unknown action ${describe(name)}; send ${EXAMPLES}.`);
  }
  const entry = ACTIONS[name] as ActionEntry<object>;
  let id: string | undefined;
  if (entry.takesId) {
    const checked = checkId(frame);
    if (!checked.ok)
      return { ok: false, rejection: { ...checked.rejection, ...idRejectionContext(frame, name) } };
    id = checked.value;
  }
  const parsed = entry.parse(frame, id);
  return parsed.ok ? { ok: true, request: { ...parsed.request, action: name } as ClientRequest } : parsed;
}

/**
 * Runs the use case of a parsed request.
 * @param deps - store, send, log and fan-out settings
 * @param connectionId - the sender
 * @param request - what {@link parseFrame} read
 */
export function runAction(
  deps: MessageDependencies,
  connectionId: string,
  request: ClientRequest,
): Promise<RouteResult> {
  // The table pairs each name with its own request type; TypeScript cannot follow that through an index.
  return (ACTIONS[request.action] as ActionEntry<ClientRequest>).run(deps, connectionId, request);
}
