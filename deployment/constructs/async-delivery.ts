import { DataAwsIamPolicyDocument } from "@cdktn/provider-aws/lib/data-aws-iam-policy-document/index.js";
import type { IamRole } from "@cdktn/provider-aws/lib/iam-role/index.js";
import { IamRolePolicy } from "@cdktn/provider-aws/lib/iam-role-policy/index.js";
import type { LambdaFunction } from "@cdktn/provider-aws/lib/lambda-function/index.js";
import { LambdaFunctionEventInvokeConfig } from "@cdktn/provider-aws/lib/lambda-function-event-invoke-config/index.js";
import { SqsQueue } from "@cdktn/provider-aws/lib/sqs-queue/index.js";
import { Construct } from "constructs";
import { queueAlarm } from "./queue-alarm.js";

/** Settings of {@link AsyncDelivery}. */
export interface AsyncDeliveryProps {
  /** `<app_name>-<workspace>`; the queue is `<name>-sns-dlq`. */
  name: string;
  /** The handler function (SNS invokes it asynchronously). */
  fn: LambdaFunction;
  /** The function's role, which sends to the destination. */
  role: IamRole;
  /** Retries of a failed asynchronous invocation (0..2). */
  maximumRetryAttempts: number;
  /** Who the alarm notifies (SNS topic ARNs); none by default. */
  alarmActions: string[];
}

/**
 * What happens to an SNS message whose fan-out failed: Lambda retries it, then sends the event (with the error) to
 * an encrypted SQS dead-letter queue, where it waits 14 days to be inspected or replayed; an alarm goes off as soon
 * as the queue holds one.
 */
export class AsyncDelivery extends Construct {
  /**
   * @param scope - the stack
   * @param id - construct id
   * @param props - see {@link AsyncDeliveryProps}
   */
  constructor(scope: Construct, id: string, props: AsyncDeliveryProps) {
    super(scope, id);
    const queue = new SqsQueue(this, "dead-letter-queue", {
      name: `${props.name}-sns-dlq`,
      sqsManagedSseEnabled: true,
      messageRetentionSeconds: 14 * 24 * 3600,
    });
    const document = new DataAwsIamPolicyDocument(this, "send", {
      statement: [
        {
          sid: "SendFailedDeliveries",
          effect: "Allow",
          actions: ["sqs:SendMessage"],
          resources: [queue.arn],
        },
      ],
    });
    // Lambda sends to an on-failure destination with the function's own role.
    const sendPolicy = new IamRolePolicy(this, "send-policy", {
      role: props.role.id,
      name: "fanout-dead-letter-queue",
      policy: document.json,
    });
    new LambdaFunctionEventInvokeConfig(this, "invoke-config", {
      functionName: props.fn.functionName,
      maximumRetryAttempts: props.maximumRetryAttempts,
      // An SNS message older than an hour is stale news to a live client: straight to the queue.
      maximumEventAgeInSeconds: 3600,
      destinationConfig: { onFailure: { destination: queue.arn } },
      dependsOn: [sendPolicy],
    });
    queueAlarm(this, "alarm", {
      name: `${props.name}-sns-delivery-failed`,
      description:
        "An SNS message could not be fanned out after its retries; it waits in the dead-letter queue.",
      queue,
      periodSeconds: 300,
      alarmActions: props.alarmActions,
    });
  }
}
