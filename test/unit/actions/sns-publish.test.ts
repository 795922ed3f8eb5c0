import { describe, expect, it } from "vitest";
import { publishToChannel } from "../../../src/actions/sns-publish.js";
import { setupActions } from "../support/actions.js";

describe("SNS message with a channel attribute", () => {
  it("delivers {channel, message, id: MessageId} to the channel's members only", async () => {
    // Prepare
    const { deps, received } = setupActions({ connections: ["a=", "b="], channels: { news: ["a="] } });
    const messageId = "95df01b4-ee98-5cb9-9903-4c221d41eb5e";
    // Act
    const outcome = await publishToChannel(deps, { messageId, message: '{"n":1}', channel: "news" });
    // Assess
    expect(outcome).toMatchObject({ kind: "delivered", summary: { recipients: 1, delivered: 1 } });
    expect(received).toEqual([["a=", `{"channel":"news","message":{"n":1},"id":"${messageId}"}`]]);
  });

  it.each([
    [{ message: '{"n":1}', channel: "bad//name" }, "the channel attribute is invalid"],
    [{ message: "not json", channel: "news" }, "not JSON"],
  ])("refuses %j without sending", async (record, reason) => {
    // Prepare
    const { deps, received } = setupActions({ channels: { news: ["a="] } });
    // Act
    const outcome = await publishToChannel(deps, { messageId: "m-1", ...record });
    // Assess
    expect(outcome.kind).toBe("rejected");
    expect(outcome.kind === "rejected" && outcome.reason).toContain(reason);
    expect(received).toEqual([]);
  });
});
