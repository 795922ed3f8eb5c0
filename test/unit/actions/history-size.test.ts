import { describe, expect, it } from "vitest";
import { MAX_MESSAGE_BYTES } from "../../../src/contract/index.js";
import { handle, setupActions } from "../support/actions.js";
import { SENDER } from "../support/handler.js";

const OTHER = "other=";

/**
 * The `history` answer after two publishes on a fresh stack: an older message of multi-byte text (2 bytes a
 * character in UTF-8) and a newer one of `padding` ASCII characters.
 */
async function answerAfter(padding: number): Promise<string> {
  const { deps, to } = setupActions({
    connections: [OTHER],
    channels: { "news/a": [SENDER, OTHER] },
    history: ["news/**"],
  });
  for (const message of ["é".repeat(30_000), "x".repeat(padding)])
    await handle(deps, JSON.stringify({ action: "publish", channel: "news/a", message }), OTHER);
  const before = to(SENDER).length;
  await handle(deps, '{"action":"history","channel":"news/a","limit":2}');
  const [answer] = to(SENDER).slice(before);
  return answer ?? "";
}

const offsets = (answer: string) =>
  (JSON.parse(answer).messages as Array<{ offset: number }>).map((message) => message.offset);

describe("the history answer's size", () => {
  it("keeps every message in an answer of exactly 128 KB (counted in UTF-8 bytes) and drops the oldest at one byte more", async () => {
    // Prepare: how far a small answer is from the limit
    const small = await answerAfter(1_000);
    const room = MAX_MESSAGE_BYTES - Buffer.byteLength(small);
    expect(room).toBeGreaterThan(0);

    // Act
    const exact = await answerAfter(1_000 + room);
    const over = await answerAfter(1_000 + room + 1);

    // Assess
    expect(Buffer.byteLength(exact)).toBe(MAX_MESSAGE_BYTES);
    expect(offsets(exact)).toEqual([1, 2]);
    expect(offsets(over)).toEqual([2]);
    expect(Buffer.byteLength(over)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
  });
});
