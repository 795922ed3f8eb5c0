/**
 * The composition root of every event but the authorizer's: the stores, the @connections senders, the shard queue
 * and the shard pace, built from the environment once per execution environment and kept for the warm invocations.
 * The adapters (`src/sources/`) take what one event needs from here; nothing else in `src/` keeps state between
 * invocations.
 */
import { S3Client } from "@aws-sdk/client-s3";
import type { ChannelHistory } from "../actions/dependencies.js";
import { matchesPattern } from "../auth/rights.js";
import type { SecretFetcher } from "../auth/verifier.js";
import { ConnectionsSenders, type Exchange } from "../aws/connections.js";
import { secretsManagerFetcher } from "../aws/secrets.js";
import { defaultSqsClient, SqsShardQueue } from "../aws/shard-queue.js";
import { environmentCredentials } from "../aws/sigv4.js";
import { type AudienceSource, storeAudience } from "../delivery/audience.js";
import { createDispatch, type Dispatch } from "../delivery/dispatch.js";
import type { FanoutOptions } from "../delivery/engine.js";
import { createPace, PACE_TICK_MS, type Pace } from "../delivery/pacing.js";
import type { Send } from "../delivery/send-policy.js";
import type { ShardDeadLetters, ShardQueue } from "../delivery/shard-job.js";
import { type ConnectionStore, S3ConnectionStore } from "../stores/connections.js";
import { S3HistoryStore } from "../stores/history.js";
import { withMembershipCleanup } from "../stores/membership-cleanup.js";
import { type MembershipStore, S3MembershipStore } from "../stores/memberships.js";
import { S3Bucket } from "../stores/s3.js";
import { type AuthorizerDependencies, createAuthorizerDependencies } from "./authorizer-dependencies.js";
import type { Config } from "./config.js";

/** What every event but the authorizer's needs: built once per execution environment, shared by every invocation. */
export interface Dependencies extends AuthorizerDependencies {
  /**
   * The connection store, decorated by `withMembershipCleanup` so that every removal (`$disconnect`, a 410 during
   * any fan-out, a gone sender) also removes the connection from every channel it joined.
   */
  store: ConnectionStore;
  /** Channel memberships, in the connection store's bucket. */
  memberships: MembershipStore;
  /** The channel history, in the connection store's bucket; absent when no channel keeps one. */
  history?: ChannelHistory;
  /** The `Send` for an @connections endpoint, cached per endpoint. */
  senders: { for(endpoint: string): Send };
  /** The shard queue (`SHARD_QUEUE_URL`); undefined, every fan-out runs inline. */
  queue: ShardQueue | undefined;
  /**
   * The shard dead-letter queue (`SHARD_DEAD_LETTER_QUEUE_URL`), where the worker sets aside a job too old to
   * replay; undefined, such a job is reported failed and left to the queue's redrive policy.
   */
  deadLetters?: ShardDeadLetters;
  /**
   * The shard worker's pace (`FANOUT_SHARD_RATE`), one per execution environment: concurrent shards of one
   * environment run one after the other anyway. Undefined leaves shards unpaced.
   */
  pace: Pace | undefined;
}

/**
 * Builds the real dependencies from the environment. The S3 client gets no `endpoint`, so the SDK's standard
 * `AWS_ENDPOINT_URL_S3` can point it at an emulator. The @connections senders sign with the environment's
 * credentials, read on every send.
 * @param env - the environment
 * @param fetchSecret - how to read the token secret by ARN
 * @param exchange - sends the @connections requests; node:http(s) unless a test gives a fake
 * @throws ConfigError naming the variable at fault (also logged)
 */
export function createDependencies(
  env: Record<string, string | undefined> = process.env,
  fetchSecret: SecretFetcher = secretsManagerFetcher(),
  exchange?: Exchange,
): Dependencies {
  const { config, log, verifier } = createAuthorizerDependencies(env, fetchSecret);
  const s3 = new S3Client({ forcePathStyle: config.s3ForcePathStyle });
  const memberships = new S3MembershipStore(s3, config.connectionBucket);
  // The SDK's standard AWS_ENDPOINT_URL_SQS points the client at an emulator, as for S3. Made on the first
  // enqueue: only a fan-out beyond the inline maximum needs it.
  const queue =
    config.shardQueueUrl === undefined
      ? undefined
      : new SqsShardQueue(defaultSqsClient, config.shardQueueUrl, config.shardDeadLetterQueueUrl);
  return {
    config,
    log,
    verifier,
    store: withMembershipCleanup(
      new S3ConnectionStore(s3, config.connectionBucket, config.connectionPrefix, {
        readFlatKeys: config.connectionFlatKeys,
      }),
      memberships,
    ),
    memberships,
    history: channelHistory(
      config.historyChannels,
      () => new S3HistoryStore(new S3Bucket(s3, config.connectionBucket)),
    ),
    senders: new ConnectionsSenders({
      concurrency: config.fanoutConcurrency,
      region: config.region,
      credentials: environmentCredentials(env),
      ...(exchange ? { exchange } : {}),
    }),
    queue,
    deadLetters: config.shardDeadLetterQueueUrl === undefined ? undefined : queue,
    pace: createPace(config.fanoutShardRate, config.fanoutShardBurst || undefined, undefined, PACE_TICK_MS),
  };
}

/**
 * The channel history of the stack: the channels matching one of `patterns` keep one; none, no store at all.
 * @param patterns - `HISTORY_CHANNELS`
 * @param store - makes the store
 */
export function channelHistory(
  patterns: readonly string[],
  store: () => ChannelHistory["store"],
): ChannelHistory | undefined {
  if (patterns.length === 0) return undefined;
  return { store: store(), keeps: (channel) => patterns.some((pattern) => matchesPattern(pattern, channel)) };
}

let cached: Dependencies | undefined;

/**
 * The dependencies of this execution environment: built on the first event and kept for the warm ones. A
 * configuration error is thrown and not kept, so the next event reads the environment again.
 */
export function dependencies(): Dependencies {
  cached ??= createDependencies(process.env);
  return cached;
}

/**
 * The engine's settings from the configuration.
 * @param config - the configuration
 */
export function fanoutSettings(config: Config): Pick<FanoutOptions, "concurrency" | "sendTimeoutMs"> {
  return { concurrency: config.fanoutConcurrency, sendTimeoutMs: config.fanoutSendTimeoutMs };
}

/**
 * Who a fan-out can reach: every connection from the connection store, a channel from the membership store.
 * @param deps - the dependencies
 */
export function audienceOf(deps: Dependencies): AudienceSource {
  return storeAudience(deps.store, deps.memberships);
}

/**
 * The `dispatch(audience, frame)` of one event (`src/delivery/dispatch.ts`).
 * @param deps - the dependencies
 * @param endpoint - the @connections endpoint of the event
 * @param send - the `Send` of that endpoint
 * @param dispatchId - the event's request id, copied into its shard jobs
 */
export function dispatchFor(deps: Dependencies, endpoint: string, send: Send, dispatchId: string): Dispatch {
  return createDispatch(
    {
      source: audienceOf(deps),
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
