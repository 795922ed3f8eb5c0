/**
 * SHA-256 and HMAC-SHA-256 in the shape the AWS SDK's SigV4 signer (`@smithy/signature-v4`) takes, on node:crypto
 * (what the SDK's own `@smithy/hash-node` does): for the tools and tests that sign requests with the SDK's signer.
 */
import { createHash, createHmac } from "node:crypto";

type SourceData = string | ArrayBuffer | ArrayBufferView;

function bytes(data: SourceData): string | Uint8Array {
  if (typeof data === "string") return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** A hash (or, given a secret, an HMAC) that the signer feeds and then digests once. */
export class NodeSha256 {
  private readonly hash;

  /** @param secret - the HMAC key; none for a plain hash */
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash("sha256") : createHmac("sha256", bytes(secret));
  }

  /** @param data - more input */
  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }

  /** The digest. */
  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }
}
