/**
 * An independent check of a request's SigV4 signature: the AWS SDK's own signer (`@smithy/signature-v4`) signs the
 * request again, over the headers it says it signed, at the time it says it was signed; the two Authorization
 * headers must be equal. Used on the lean @connections sender's requests, captured or faked.
 */
import { SignatureV4 } from "@smithy/signature-v4";
import { NodeSha256 } from "../../util/lib/sdk-sha256.js";

/** A request as it went on the wire. */
export interface WireRequest {
  method: string;
  /** `host[:port]`. */
  host: string;
  /** The path as sent, percent-encoded, without a query. */
  path: string;
  headers: Record<string, string>;
  body: Uint8Array;
}

/**
 * The Authorization the SDK's signer gives this request: same headers, same time, same credentials.
 * @param request - what was sent
 * @param scope - the service, region and credentials it was signed with
 */
export async function sdkAuthorization(
  request: WireRequest,
  scope: { service: string; region: string; accessKeyId: string; secretAccessKey: string },
): Promise<string> {
  const lower = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v]));
  const signed = /SignedHeaders=([^,]+),/.exec(lower.authorization ?? "")?.[1]?.split(";") ?? [];
  const headers = Object.fromEntries(signed.map((name) => [name, lower[name] ?? ""]));
  const amzDate = lower["x-amz-date"] ?? "";
  const signingDate = new Date(
    `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
  );
  const [hostname = "", port] = request.host.split(":");
  const signer = new SignatureV4({
    service: scope.service,
    region: scope.region,
    credentials: {
      accessKeyId: scope.accessKeyId,
      secretAccessKey: scope.secretAccessKey,
      ...(lower["x-amz-security-token"] ? { sessionToken: lower["x-amz-security-token"] } : {}),
    },
    sha256: NodeSha256,
  });
  const signedRequest = await signer.sign(
    {
      method: request.method,
      protocol: "https:",
      hostname,
      ...(port ? { port: Number(port) } : {}),
      path: request.path,
      query: {},
      headers,
      body: request.body,
    },
    { signingDate },
  );
  return signedRequest.headers.authorization ?? "";
}
