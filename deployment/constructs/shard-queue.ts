import { DataAwsIamPolicyDocument } from "@cdktn/provider-aws/lib/data-aws-iam-policy-document/index.js";
import { IamRolePolicy } from "@cdktn/provider-aws/lib/iam-role-policy/index.js";
import { LambdaEventSourceMapping } from "@cdktn/provider-aws/lib/lambda-event-source-mapping/index.js";
import { LambdaFunction } from "@cdktn/provider-aws/lib/lambda-function/index.js";
import { SqsQueue } from "@cdktn/provider-aws/lib/sqs-queue/index.js";
import { Fn, Op, Token } from "cdktn";
import { Construct } from "constructs";
import { LAMBDA_ENV, SHARD_VISIBILITY_MARGIN_SECONDS } from "../../src/contract/index.js";
import { queueAlarm } from "./queue-alarm.js";

/**
 * How long SQS keeps a shard that failed every retry: the maximum, 14 days, so that an operator can look at it,
 * fix the cause and redrive it (docs/scaling.md).
 */
const DLQ_RETENTION_SECONDS = 14 * 24 * 60 * 60;

/** Settings of {@link ShardQueue}. */
export interface ShardQueueProps {
  /** `<app_name>-<workspace>`: the queues are `<name>-shards` and `<name>-shards-dlq`. */
  name: string;
  /**
   * The shard worker's timeout, in seconds. The queue's visibility timeout follows it: this and
   * `SHARD_VISIBILITY_MARGIN_SECONDS` (`shardVisibilityTimeoutSeconds` of the contract, docs/scaling.md).
   */
  workerTimeoutSeconds: number;
  /** Receives of one shard before it moves to the dead-letter queue. */
  maxReceiveCount: number;
  /** SNS topic ARNs notified when the dead-letter queue holds a shard. */
  alarmActions: string[];
}

/** Settings of {@link ShardQueue.attachWorker}. */
export interface ShardWorkerProps {
  /** The handler function: the worker runs its code, with its role and into its log group. */
  handler: LambdaFunction;
  /** The handler's role: gets SendMessage for the dispatch and what the event source mapping needs. */
  role: { id: string; arn: string };
  /** The handler's environment; the worker gets it too, with its per-shard rate. */
  environment: Record<string, string>;
  /** The worker's memory in MB: CPU scales with it (1,769 MB = 1 vCPU). */
  memoryMb: number;
  /** Shard invocations at once: the event source mapping's maximum concurrency and the worker's reservation. */
  maxConcurrency: number;
  /** The account's @connections quota, requests a second (10,000 unless AWS raised it). */
  accountRate: number;
  /** The account throttle's burst: requests its token bucket holds (5,000 unless AWS raised it). */
  accountBurst: number;
  /** The share of {@link accountRate} and {@link accountBurst} all shards together may use (0 to 1). */
  rateShare: number;
  /** A shard redelivered more than this many seconds after its dispatch is set aside in the dead-letter queue. */
  maxAgeSeconds: number;
}

/**
 * The shard queue (docs/scaling.md): an SQS queue of shard jobs with a dead-letter queue and its alarm, and
 * the shard worker, the handler's code as a second function fed by an event source mapping (batch size 1, failures
 * reported per record) with its own memory, timeout and concurrency, so that sizing shards for CPU does not bill
 * the API's routes for it.
 */
export class ShardQueue extends Construct {
  /** The queue the dispatch sends shard jobs to. */
  readonly queue: SqsQueue;
  /** Where a shard goes after `maxReceiveCount` failed receives. */
  readonly deadLetterQueue: SqsQueue;

  /**
   * @param scope - the stack
   * @param id - construct id
   * @param props - see {@link ShardQueueProps}
   */
  constructor(
    scope: Construct,
    id: string,
    private readonly props: ShardQueueProps,
  ) {
    super(scope, id);
    this.deadLetterQueue = new SqsQueue(this, "dead-letter-queue", {
      name: `${props.name}-shards-dlq`,
      sqsManagedSseEnabled: true,
      messageRetentionSeconds: DLQ_RETENTION_SECONDS,
    });
    this.queue = new SqsQueue(this, "queue", {
      name: `${props.name}-shards`,
      sqsManagedSseEnabled: true,
      // A Terraform expression, so the contract's function is spelled out: one run's worst case, not AWS's six
      // times the timeout (that makes room for throttled invocations, which the worker's reservation rules out).
      visibilityTimeoutSeconds: Op.add(props.workerTimeoutSeconds, SHARD_VISIBILITY_MARGIN_SECONDS),
      redrivePolicy: Fn.jsonencode({
        deadLetterTargetArn: this.deadLetterQueue.arn,
        maxReceiveCount: props.maxReceiveCount,
      }),
    });
    queueAlarm(this, "dead-letter-alarm", {
      name: `${props.name}-shards-dlq`,
      description: "A fan-out shard failed every retry and waits in the dead-letter queue (docs/scaling.md).",
      queue: this.deadLetterQueue,
      periodSeconds: 60,
      alarmActions: props.alarmActions,
    });
  }

  /**
   * The environment the handler needs to dispatch shards: the queue's URL.
   */
  get dispatchEnvironment(): Record<string, string> {
    return { [LAMBDA_ENV.shardQueueUrl]: this.queue.url };
  }

  /**
   * Adds the shard worker, its event source mapping and the permissions of both sides.
   * @param props - see {@link ShardWorkerProps}
   * @returns the worker function
   */
  attachWorker(props: ShardWorkerProps): LambdaFunction {
    const permissions = new DataAwsIamPolicyDocument(this, "permissions", {
      statement: [
        {
          sid: "SendShards",
          effect: "Allow",
          // SendMessageBatch is authorised as sqs:SendMessage.
          actions: ["sqs:SendMessage"],
          resources: [this.queue.arn],
        },
        {
          // The worker sets a shard too late to replay aside itself, with its reason (src/sources/sqs.ts).
          sid: "SetAsideShards",
          effect: "Allow",
          actions: ["sqs:SendMessage"],
          resources: [this.deadLetterQueue.arn],
        },
        {
          sid: "ReceiveShards",
          effect: "Allow",
          // What Lambda's event source mapping calls with the function's role.
          actions: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
          resources: [this.queue.arn],
        },
      ],
    });
    const policy = new IamRolePolicy(this, "role-policy", {
      role: props.role.id,
      name: "fanout-shards",
      policy: permissions.json,
    });

    const handler = props.handler;
    // One shard's part of an account-wide quantity: the share of it all shards may use, split among the most that
    // run at once (rounded down, as the worker reads whole numbers).
    const perShard = (total: number) =>
      Token.asString(Fn.floor(Op.div(Op.mul(total, props.rateShare), props.maxConcurrency)));
    const worker = new LambdaFunction(this, "worker", {
      functionName: `${this.props.name}-shards`,
      role: props.role.arn,
      runtime: handler.runtime,
      architectures: handler.architectures,
      handler: handler.handler,
      filename: handler.filename,
      sourceCodeHash: handler.sourceCodeHash,
      memorySize: props.memoryMb,
      timeout: this.props.workerTimeoutSeconds,
      // Bounds the shards' total (and keeps that many free for them); the mapping's maximum concurrency matches.
      reservedConcurrentExecutions: props.maxConcurrency,
      environment: {
        variables: {
          ...props.environment,
          // Each of at most maxConcurrency shards sends at this rate, after at most this burst, so all together stay
          // under the share of the account's token bucket: its rate and its capacity.
          [LAMBDA_ENV.fanoutShardRate]: perShard(props.accountRate),
          [LAMBDA_ENV.fanoutShardBurst]: perShard(props.accountBurst),
          [LAMBDA_ENV.fanoutShardMaxAgeSeconds]: Token.asString(props.maxAgeSeconds),
          [LAMBDA_ENV.shardDeadLetterQueueUrl]: this.deadLetterQueue.url,
        },
      },
      // One log group for the service: `tail-logs` shows the dispatch and its shards together.
      loggingConfig: { logFormat: "Text", logGroup: handler.loggingConfig.logGroup },
      dependsOn: [policy],
    });

    new LambdaEventSourceMapping(this, "event-source-mapping", {
      eventSourceArn: this.queue.arn,
      functionName: worker.arn,
      batchSize: 1,
      functionResponseTypes: ["ReportBatchItemFailures"],
      scalingConfig: { maximumConcurrency: props.maxConcurrency },
      dependsOn: [policy],
    });
    return worker;
  }
}
