import { S3Client } from "@aws-sdk/client-s3";
import type { Context, SQSBatchResponse } from "aws-lambda";
import { parseFrame, runAction } from "./actions.js";
import { authorizeConnect, createAuthorizerDependencies } from "./authorizer-handler.js";
import { withMembershipCleanup } from "./channel-fanout.js";
import type { Config } from "./config.js";
import { type ConnectionStore, S3ConnectionStore } from "./connections.js";
import {
  type AudienceSource,
  createDispatch,
  type Dispatch,
  type ShardQueue,
  storeAudience,
} from "./dispatch.js";
import { classifyEvent, type WebSocketEvent } from "./events.js";
import type { Send } from "./fanout.js";
import type { Log } from "./log.js";
import { ManagementSenders, managementEndpoint } from "./management.js";
import { type MembershipStore, S3MembershipStore } from "./memberships.js";
import { createPace } from "./pacing.js";
import { isOwnApi, ownTopicRecords } from "./provenance.js";
import { rightsFor } from "./rights.js";
import { type AuthorizerResponse, isAuthorizerEvent } from "./routes/authorize.js";
import { connect } from "./routes/connect.js";
import { disconnect } from "./routes/disconnect.js";
import { rejectFrame } from "./routes/reply.js";
import { runShards } from "./routes/shard.js";
import { deliverSns } from "./routes/sns.js";
import type { MessageDependencies, RouteResult } from "./routes/types.js";
import { defaultSqsClient, SqsShardQueue } from "./shard-queue.js";
import type { TokenVerifier } from "./tokens.js";
import { type SecretFetcher, secretsManagerFetcher } from "./verifier.js";

/** What the handler builds once per execution environment and every invocation shares. */
export interface Dependencies {
  /** The validated configuration. */
  config: Config;
  /** The logger. */
  log: Log;
  /**
   * The connection store, decorated by `withMembershipCleanup` so that every removal (`$disconnect`, a 410 during
   * any fan-out, a gone sender) also removes the connection from every channel it joined.
   */
  store: ConnectionStore;
  /** Channel memberships, in the connection store's bucket. */
  memberships: MembershipStore;
  /** The `Send` for an @connections endpoint, cached per endpoint. */
  senders: { for(endpoint: string): Send };
  /** The fan-out shard queue (`SHARD_QUEUE_URL`); undefined, every fan-out runs inline. */
  queue: ShardQueue | undefined;
  /** The `$connect` authorizer's token verifier, built once on first use; `undefined` in open mode. */
  verifier: (() => Promise<TokenVerifier>) | undefined;
}

/**
 * What the handler returns: a proxy integration result for WebSocket events, a policy for the `$connect`
 * authorizer, the records to retry for SQS, nothing for SNS.
 */
export type HandlerResult = RouteResult | AuthorizerResponse | SQSBatchResponse | undefined;

/**
 * Builds the real dependencies from the environment. The S3 client gets no `endpoint`, so the SDK's standard
 * `AWS_ENDPOINT_URL_S3` can point it at an emulator.
 * @param env - the environment
 * @throws ConfigError naming the variable at fault (also logged)
 */
export function createDependencies(
  env: Record<string, string | undefined> = process.env,
  fetchSecret: SecretFetcher = secretsManagerFetcher(),
): Dependencies {
  const { config, log, verifier } = createAuthorizerDependencies(env, fetchSecret);
  const s3 = new S3Client({ forcePathStyle: config.s3ForcePathStyle });
  const memberships = new S3MembershipStore(s3, config.connectionBucket);
  return {
    config,
    log,
    store: withMembershipCleanup(
      new S3ConnectionStore(s3, config.connectionBucket, config.connectionPrefix, {
        readFlatKeys: config.connectionFlatKeys,
      }),
      memberships,
    ),
    memberships,
    senders: new ManagementSenders(fanoutSettings(config)),
    // The SDK's standard AWS_ENDPOINT_URL_SQS points the client at an emulator, as for S3. Made on the first
    // enqueue: only a fan-out beyond the inline maximum needs it.
    queue:
      config.shardQueueUrl === undefined
        ? undefined
        : new SqsShardQueue(defaultSqsClient, config.shardQueueUrl),
    verifier,
  };
}

type WebSocketRoute = (deps: Dependencies, event: WebSocketEvent) => Promise<RouteResult>;

/**
 * The WebSocket routes by event type. Every MESSAGE route (each client action's, `$default` and any other) reads
 * the frame itself and runs the action's use case from the route table (`actions.ts`): `$default` is where API
 * Gateway sends what matched nothing, and `parseFrame` is the explicit not-found path (UNKNOWN_ACTION and the
 * other error codes).
 */
const WEBSOCKET_ROUTES: Record<WebSocketEvent["requestContext"]["eventType"], WebSocketRoute> = {
  CONNECT: (deps, event) => connect(deps, event.requestContext.connectionId),
  DISCONNECT: (deps, event) => disconnect(deps, event.requestContext.connectionId),
  MESSAGE: async (deps, event) => {
    const { connectionId } = event.requestContext;
    const endpoint = managementEndpoint(deps.config.managementEndpoint, event.requestContext);
    const send = deps.senders.for(endpoint);
    const messageDeps: MessageDependencies = {
      store: deps.store,
      log: deps.log,
      send,
      fanout: fanoutSettings(deps.config),
      dispatch: dispatchFor(deps, endpoint, send, event.requestContext.requestId),
      rights: rightsFor(event, deps.config),
      memberships: deps.memberships,
      maxBroadcastBytes: deps.config.auth.maxBroadcastBytes,
    };
    const frame = parseFrame(event.body, event.isBase64Encoded);
    if (!frame.ok) return rejectFrame(messageDeps, connectionId, frame.rejection);
    return runAction(messageDeps, connectionId, frame.request);
  },
};

function fanoutSettings(config: Config): MessageDependencies["fanout"] {
  return { concurrency: config.fanoutConcurrency, sendTimeoutMs: config.fanoutSendTimeoutMs };
}

/** Who a fan-out can reach: every connection from the connection store, a channel from the membership store. */
function audienceSource(deps: Dependencies): AudienceSource {
  return storeAudience(deps.store, deps.memberships);
}

/** The `dispatch(audience, frame)` of one event (`dispatch.ts`). */
function dispatchFor(deps: Dependencies, endpoint: string, send: Send, dispatchId: string): Dispatch {
  return createDispatch(
    {
      source: audienceSource(deps),
      store: deps.store,
      send,
      endpoint,
      queue: deps.queue,
      log: deps.log,
      dispatchId,
    },
    {
      shards: deps.config.fanoutShards,
      inlineMax: deps.config.fanoutInlineMax,
      fanout: fanoutSettings(deps.config),
    },
  );
}

/** A pace per execution environment: concurrent shards of one environment run one after the other anyway. */
let shardPace: { rate: number; pace: (() => Promise<void>) | undefined } | undefined;

function paceOf(config: Config): (() => Promise<void>) | undefined {
  if (shardPace?.rate !== config.fanoutShardRate)
    shardPace = { rate: config.fanoutShardRate, pace: createPace(config.fanoutShardRate) };
  return shardPace.pace;
}

/**
 * Builds a handler over dependencies made on first use and kept for later (warm) invocations.
 * @param dependencies - returns the dependencies; called on every invocation, so it should cache
 */
export function createHandler(
  dependencies: () => Dependencies,
): (event: unknown, context: Context | undefined) => Promise<HandlerResult> {
  return async (event, context) => {
    const deps = dependencies();
    deps.log.appendKeys({ requestId: context?.awsRequestId });
    try {
      // First: an authorizer event also has a request context with `eventType: "CONNECT"` and a route key.
      if (isAuthorizerEvent(event)) return await authorizeConnect(deps, event);
      const incoming = classifyEvent(event);
      if (incoming.kind === "websocket") {
        const { connectionId, eventType, routeKey, requestId, apiId } = incoming.event.requestContext;
        deps.log.appendKeys({ connectionId, routeKey, apiRequestId: requestId });
        // Not answered to the connection: a forged event's connection id may be anyone's.
        if (!isOwnApi(apiId, deps.config.auth, deps.log)) return { statusCode: 403, body: "forbidden" };
        try {
          return await WEBSOCKET_ROUTES[eventType](deps, incoming.event);
        } catch (error) {
          // The routes catch what they expect; this is a bug, and a thrown error would only reach API Gateway
          // as a 502 with no log of ours.
          deps.log.error("unexpected failure", { error });
          return { statusCode: 500, body: "internal error" };
        }
      }
      if (incoming.kind === "sns") {
        const endpoint = deps.config.managementEndpoint;
        const snsRequestId = context?.awsRequestId ?? incoming.event.Records[0]?.Sns.MessageId ?? "sns";
        await deliverSns(
          {
            store: deps.store,
            memberships: deps.memberships,
            log: deps.log,
            dispatch:
              endpoint === undefined
                ? undefined
                : dispatchFor(deps, endpoint, deps.senders.for(endpoint), snsRequestId),
            fanout: fanoutSettings(deps.config),
          },
          ownTopicRecords(incoming.event, deps.config.auth, deps.log),
        );
        return undefined;
      }
      if (incoming.kind === "sqs") {
        const configured = deps.config.managementEndpoint;
        return await runShards(
          {
            source: audienceSource(deps),
            store: deps.store,
            // A configured endpoint wins: the queue is only writable by this function, but the configuration is
            // the operator's word.
            sendFor: (jobEndpoint) => deps.senders.for(configured ?? jobEndpoint),
            log: deps.log,
            pace: paceOf(deps.config),
            fanout: fanoutSettings(deps.config),
          },
          incoming.event,
        );
      }
      // Not thrown: an asynchronous source would retry the same unrecognisable event.
      deps.log.error("unrecognised event: expected an API Gateway WebSocket event, an SNS or an SQS event", {
        eventKeys: incoming.keys,
      });
      return { statusCode: 400, body: "unrecognised event" };
    } finally {
      deps.log.resetKeys();
    }
  };
}

let cached: Dependencies | undefined;

/**
 * The handler of every event: API Gateway WebSocket events (every route key of `contracts.ts`), the `$connect`
 * authorizer's, SNS events and SQS events of the fan-out shard queue. The bundle's entry (`index.ts`) loads it for
 * every event but the authorizer's, which it answers with `authorizer-handler.ts` alone.
 */
export const handler = createHandler(() => {
  cached ??= createDependencies(process.env);
  return cached;
});
