import { describe, expect, it } from "vitest";
import { NoMembershipsError, storeAudience } from "../../../src/delivery/audience.js";
import { MemoryStore } from "../support/store.js";

describe("storeAudience", () => {
  it("refuses a channel audience without a membership store", () => {
    // Prepare
    const source = storeAudience(new MemoryStore([]));
    // Act
    const failure = (() => {
      try {
        source.pages({ kind: "channel", channel: "news" }, { from: 0, to: 256 });
      } catch (error) {
        return error;
      }
    })();
    // Assess
    expect(failure).toBeInstanceOf(NoMembershipsError);
  });
});
