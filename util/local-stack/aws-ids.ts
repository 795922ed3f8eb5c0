/** Ids in the formats AWS uses, for the events and headers the local stack makes. */
import { randomBytes } from "node:crypto";

/**
 * An id in API Gateway's format: 11 random bytes in base64, 16 characters ending in `=` (e.g. `Ek02Ofq8IAMCEyw=`).
 * Ids with `+` or `/` are redrawn: AWS's ids do not contain them, and a `/` would split the S3 key
 * `<prefix>/<connectionId>` into two levels.
 */
export function newAwsId(): string {
  for (;;) {
    const id = randomBytes(11).toString("base64");
    if (!id.includes("+") && !id.includes("/")) return id;
  }
}

/** An X-Ray trace header value (`Root=1-<epoch seconds in hex>-<24 hex digits>`), as API Gateway and Lambda pass on. */
export function newTraceId(epochMs: number): string {
  return `Root=1-${Math.floor(epochMs / 1000).toString(16)}-${randomBytes(12).toString("hex")}`;
}
