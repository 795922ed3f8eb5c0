/**
 * The use cases of client requests over in-memory stores and a `send` that records frames: what the WebSocket
 * adapter builds per event, without AWS.
 */
import type { ActionDependencies, RouteResult } from "../../../src/actions/dependencies.js";
import { runRequest } from "../../../src/actions/routes.js";
import { channelHistory } from "../../../src/app/dependencies.js";
import { ALL_RIGHTS, type Rights, selectRouteKey } from "../../../src/contract/index.js";
import { storeAudience } from "../../../src/delivery/audience.js";
import { createDispatch } from "../../../src/delivery/dispatch.js";
import type { Send } from "../../../src/delivery/send-policy.js";
import { S3HistoryStore } from "../../../src/stores/history.js";
import { withMembershipCleanup } from "../../../src/stores/membership-cleanup.js";
import { S3Bucket } from "../../../src/stores/s3.js";
import { SENDER } from "./handler.js";
import { RecordingLog } from "./log.js";
import { MemoryMemberships } from "./memberships.js";
import { S3Objects } from "./s3-objects.js";
import { gone as goneError } from "./sends.js";
import { MemoryStore } from "./store.js";

/**
 * Dependencies over in-memory stores (the sender stored, no shard queue: every fan-out inline) and a send that
 * records frames; `gone` ids answer 410.
 * @param options - other stored connections, channels with their members, gone ids, the sender's rights, the cap,
 *   and the patterns of the channels that keep history (none by default: the history store is S3 in memory,
 *   `objects`)
 */
export function setupActions(
  options: {
    connections?: string[];
    channels?: Record<string, string[]>;
    gone?: string[];
    rights?: Rights;
    /** The stack's cap on a client's broadcast or publish (`MAX_CLIENT_MESSAGE_BYTES`); the protocol's if absent. */
    maxClientMessageBytes?: number;
    history?: string[];
  } = {},
) {
  const objects = new S3Objects();
  const store = new MemoryStore([SENDER, ...(options.connections ?? [])]);
  const memberships = new MemoryMemberships(options.channels);
  const log = new RecordingLog();
  const received: Array<[string, string]> = [];
  const gone = new Set(options.gone ?? []);
  const send: Send = async (connectionId, data) => {
    if (gone.has(connectionId)) throw goneError();
    received.push([connectionId, Buffer.from(data).toString("utf8")]);
  };
  const cleanStore = withMembershipCleanup(store, memberships);
  const deps: ActionDependencies = {
    store: cleanStore,
    memberships,
    send,
    log,
    fanout: { concurrency: 4, sendTimeoutMs: 1000 },
    rights: options.rights ?? ALL_RIGHTS,
    maxClientMessageBytes: options.maxClientMessageBytes,
    dispatch: createDispatch(
      {
        source: storeAudience(cleanStore, memberships),
        store: cleanStore,
        send,
        endpoint: "https://api.example/primary",
        queue: undefined,
        log,
        dispatchId: "test",
      },
      { shards: 1, inlineMax: 1000, fanout: { concurrency: 4, sendTimeoutMs: 1000 } },
    ),
    history: channelHistory(
      options.history ?? [],
      () => new S3HistoryStore(new S3Bucket(objects.client(), "bucket")),
    ),
  };
  /** The frames one connection received, as text. */
  const to = (connectionId: string) => received.filter(([id]) => id === connectionId).map(([, text]) => text);
  /** The error of the nth frame a connection received. */
  const errorTo = (connectionId: string, index = 0) => JSON.parse(to(connectionId)[index] ?? "{}").error;
  return { deps, store, memberships, log, received, to, errorTo, objects };
}

/**
 * Runs a client's request as the WebSocket adapter does, on the route API Gateway picks for it: the route table
 * reads it, checks the right and runs the use case.
 * @param deps - the use cases' dependencies
 * @param text - the request's text
 * @param connectionId - the sender
 */
export function handle(deps: ActionDependencies, text: string, connectionId = SENDER): Promise<RouteResult> {
  return runRequest(deps, connectionId, {
    body: text,
    isBase64Encoded: false,
    routeKey: selectRouteKey(text),
  });
}
