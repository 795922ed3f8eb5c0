import type { SNSEvent, SNSEventRecord } from "aws-lambda";
import type { AuthConfig } from "./config.js";
import type { Log } from "./log.js";

/**
 * Refusing events that did not come from this stack's own API or topic. Only API Gateway and SNS may invoke the
 * function (its resource policy names them, with source ARNs), but anyone granted `lambda:InvokeFunction` in the
 * account could hand it a made-up event: a WebSocket MESSAGE naming a connection id, or an SNS record, and the
 * function would fan it out. The ids of the real sources are configuration, so a forged event must also guess them.
 */

/**
 * Whether a WebSocket (or authorizer) event names this stack's API. Logs the refusal.
 * @param apiId - `requestContext.apiId` as received (anything, for a hostile event)
 * @param auth - the expected API id, if configured
 * @param log - the logger
 */
export function isOwnApi(apiId: unknown, auth: Pick<AuthConfig, "expectedApiId">, log: Log): boolean {
  if (auth.expectedApiId === undefined || apiId === auth.expectedApiId) return true;
  log.error("event refused: it names another API (a forged invocation?)", {
    apiId: typeof apiId === "string" ? apiId.slice(0, 64) : typeof apiId,
    expectedApiId: auth.expectedApiId,
  });
  return false;
}

/**
 * The records of an SNS event that come from this stack's input topic; the others are logged and dropped.
 * @param event - the SNS event
 * @param auth - the expected topic ARN, if configured
 * @param log - the logger
 */
export function ownTopicRecords(
  event: SNSEvent,
  auth: Pick<AuthConfig, "inputTopicArn">,
  log: Log,
): SNSEvent {
  const expected = auth.inputTopicArn;
  if (expected === undefined) return event;
  const kept: SNSEventRecord[] = [];
  for (const record of event.Records) {
    const topicArn: unknown = record.Sns.TopicArn;
    if (topicArn === expected) {
      kept.push(record);
      continue;
    }
    log.error("SNS record refused: it comes from another topic (a forged invocation?)", {
      snsMessageId: typeof record.Sns.MessageId === "string" ? record.Sns.MessageId.slice(0, 64) : undefined,
      topicArn: typeof topicArn === "string" ? topicArn.slice(0, 256) : typeof topicArn,
      expectedTopicArn: expected,
    });
  }
  return { Records: kept };
}
