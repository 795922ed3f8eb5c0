import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CONTRACT_PATH, renderContract } from "../../client/scripts/contract.js";
import { SERVICE_ERROR_CODES } from "../../client/src/contract.js";
import { ErrorCode } from "../../client/src/index.js";

describe("the client's copy of the service's contract (client/src/contract.ts)", () => {
  it("is exactly what the service's error codes and limits render (run `npm run client:contract` after a change)", () => {
    // Prepare
    const committed = readFileSync(CONTRACT_PATH, "utf8");

    // Act
    const rendered = renderContract();

    // Assess
    expect(committed).toBe(rendered);
  });

  it("gives the client's ErrorCode every code of the service, MESSAGE_TOO_DEEP included", () => {
    // Prepare
    const service = Object.values(SERVICE_ERROR_CODES);

    // Act
    const client = Object.values(ErrorCode);

    // Assess
    expect(client).toEqual(expect.arrayContaining(service));
    expect(ErrorCode.MESSAGE_TOO_DEEP).toBe("MESSAGE_TOO_DEEP");
  });
});
