import { PublishCommand } from "@aws-sdk/client-sns";
import { describe, expect, it } from "vitest";
import { escapeControl, formatLambda } from "../../../util/local-stack/logs/format.js";
import { readLog, snsClient, startTestStack } from "../../support/stack.js";
import { eventually } from "../../support/wait.js";
import { Client } from "../../support/ws-client.js";

/** Whether a line holds what a terminal acts on: C0 controls, DEL, C1 controls, the bidirectional overrides. */
function hasControl(line: string): boolean {
  return [...line].some((char) => {
    const code = char.codePointAt(0) ?? 0;
    return (
      code < 0x20 ||
      (code >= 0x7f && code <= 0x9f) ||
      (code >= 0x202a && code <= 0x202e) ||
      (code >= 0x2066 && code <= 0x2069)
    );
  });
}

/** A title change (`ESC ] 0 ; ... BEL`), a colour, and a line feed that would start a forged line. */
const HOSTILE = "\u001b]0;pwned\u0007\u001b[31mred\n12:00:00.000 lambda  INFO  forged";

describe("the local stack's terminal lines", () => {
  it("escapes every control character of a log record, newlines included", () => {
    // Prepare
    const record = {
      level: "WARN",
      message: "frame rejected",
      channel: HOSTILE,
      other: "\u009b2J\u202eevil",
    };

    // Act
    const line = formatLambda(record, new Date("2026-12-07T12:00:00.000Z"));

    // Assess
    expect(line).toBe(
      "12:00:00.000 lambda  WARN  frame rejected channel=\\u001b]0;pwned\\u0007\\u001b[31mred\\u000a12:00:00.000 lambda  INFO  forged other=\\u009b2J\\u202eevil",
    );
    expect(escapeControl("ready\n  WebSocket ws://…", true)).toBe("ready\n  WebSocket ws://…");
  });

  it("prints no raw control character of what clients and publishers send, through the real stack", async () => {
    // Prepare: a stack whose terminal lines are kept
    const lines: string[] = [];
    const stack = await startTestStack({ log: (line) => lines.push(line) });
    const sns = snsClient(stack);
    try {
      const client = await Client.connect(stack.tokenUrl());

      // Act: a channel name, an id and an action with control characters, and an SNS channel attribute
      client.send({ action: "subscribe", channel: HOSTILE });
      client.send({ action: "publish", channel: "ok", message: 1, id: HOSTILE });
      client.send({ action: HOSTILE });
      await sns.send(
        new PublishCommand({
          TopicArn: stack.outputs.input_sns_topic_arn,
          Message: "{}",
          MessageAttributes: { channel: { DataType: "String", StringValue: HOSTILE } },
        }),
      );
      await client.next(() => client.received.length === 3);
      await eventually("the SNS message rejected", async () =>
        (await readLog(stack.outputs.lambda_log_file)).some((r) => r.message === "SNS message rejected"),
      );
      client.close();
    } finally {
      sns.destroy();
      await stack.dispose();
    }

    // Assess: the hostile text reached the terminal, escaped, and nothing raw did
    const shown = lines.flatMap((line) => line.split("\n"));
    expect(shown.filter(hasControl)).toEqual([]);
    expect(
      shown.some((line) => line.includes("channel=\\u001b]0;pwned\\u0007\\u001b[31mred\\u000a12:00")),
    ).toBe(true);
  });
});
