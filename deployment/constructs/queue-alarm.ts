import { CloudwatchMetricAlarm } from "@cdktn/provider-aws/lib/cloudwatch-metric-alarm/index.js";
import type { SqsQueue } from "@cdktn/provider-aws/lib/sqs-queue/index.js";
import type { Construct } from "constructs";

/** Settings of {@link queueAlarm}. */
export interface QueueAlarmProps {
  /** The alarm's name. */
  name: string;
  /** What it means when it fires, and where to look. */
  description: string;
  /** The dead-letter queue it watches. */
  queue: SqsQueue;
  /** How often the queue is looked at, in seconds. */
  periodSeconds: number;
  /** Who it notifies (SNS topic ARNs). */
  alarmActions: string[];
}

/**
 * An alarm that fires as soon as a dead-letter queue holds one message: whatever lands there failed every retry
 * and waits for a person. A function rather than a construct, so that each owner keeps its resource paths (the
 * Terraform addresses of deployed alarms).
 * @param scope - the construct that owns the queue
 * @param id - the alarm's construct id
 * @param props - see {@link QueueAlarmProps}
 */
export function queueAlarm(scope: Construct, id: string, props: QueueAlarmProps): CloudwatchMetricAlarm {
  return new CloudwatchMetricAlarm(scope, id, {
    alarmName: props.name,
    alarmDescription: props.description,
    namespace: "AWS/SQS",
    metricName: "ApproximateNumberOfMessagesVisible",
    dimensions: { QueueName: props.queue.name },
    statistic: "Maximum",
    period: props.periodSeconds,
    evaluationPeriods: 1,
    threshold: 0,
    comparisonOperator: "GreaterThanThreshold",
    treatMissingData: "notBreaching",
    alarmActions: props.alarmActions,
  });
}
