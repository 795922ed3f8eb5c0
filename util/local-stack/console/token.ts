import type { IncomingMessage, ServerResponse } from "node:http";
import {
  ALL_RIGHTS,
  isValidPattern,
  MAX_PATTERNS,
  MAX_SUBJECT_LENGTH,
  type Rights,
} from "../../../src/contract/index.js";
import { AUTOMATIC_TTL_SECONDS, MAX_TTL_SECONDS, mintToken } from "../../lib/token.js";
import { readBody } from "../http.js";
import { sendJson } from "./guard.js";

/** The largest token request body read. */
const MAX_TOKEN_REQUEST_BYTES = 8 * 1024;

/**
 * POST /console/token: a token signed with the stack's secret; 409 when the stack is open (no secret).
 * @param tokenSecret - the stack's token secret, read for every request; undefined when the stack is open
 */
export async function mint(
  tokenSecret: () => Promise<string | undefined>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  // A JSON body only: a cross-site form cannot send one, and a cross-site fetch with it needs a preflight we refuse.
  if (!/^application\/json\b/i.test(req.headers["content-type"] ?? "")) {
    req.resume();
    return sendJson(res, 415, { error: "send the token request as application/json" });
  }
  const body = (await readBody(req, MAX_TOKEN_REQUEST_BYTES))?.toString("utf8");
  if (body === undefined) return sendJson(res, 413, { error: "token request too large" });
  let request: unknown;
  try {
    request = body.trim() === "" ? {} : JSON.parse(body);
  } catch {
    return sendJson(res, 400, { error: "the token request is not JSON" });
  }
  const parsed = parseTokenRequest(request);
  if (typeof parsed === "string") return sendJson(res, 400, { error: parsed });
  const secret = await tokenSecret();
  if (secret === undefined) {
    return sendJson(res, 409, {
      error: "this stack is open (it has no token secret): connect without a token",
    });
  }
  const now = new Date();
  const token = await mintToken(secret, { ...parsed, now });
  const expiresAt = new Date(now.getTime() + parsed.ttlSeconds * 1000).toISOString();
  return sendJson(res, 200, { token, sub: parsed.sub, expiresAt, capabilities: parsed.capabilities });
}

/**
 * Checks a token request (every field optional: `sub`, `ttlSeconds`, `broadcast`, `subscribe`, `publish`) and
 * applies the defaults: subject `console`, {@link AUTOMATIC_TTL_SECONDS}, every right.
 * @returns what to mint, or the reason it is refused
 */
function parseTokenRequest(
  value: unknown,
): { sub: string; ttlSeconds: number; capabilities: Rights } | string {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "send a JSON object";
  const r = value as Record<string, unknown>;
  const sub = r.sub ?? "console";
  if (typeof sub !== "string" || sub.trim() === "" || sub.length > MAX_SUBJECT_LENGTH)
    return `sub must be a string of 1 to ${MAX_SUBJECT_LENGTH} characters`;
  const ttlSeconds = r.ttlSeconds ?? AUTOMATIC_TTL_SECONDS;
  if (
    typeof ttlSeconds !== "number" ||
    !Number.isInteger(ttlSeconds) ||
    ttlSeconds < 1 ||
    ttlSeconds > MAX_TTL_SECONDS
  )
    return `ttlSeconds must be a whole number from 1 to ${MAX_TTL_SECONDS}`;
  const broadcast = r.broadcast ?? ALL_RIGHTS.broadcast;
  if (typeof broadcast !== "boolean") return "broadcast must be true or false";
  const patterns = (name: "subscribe" | "publish"): string[] | string => {
    const list = r[name] ?? [...ALL_RIGHTS[name]];
    if (!Array.isArray(list) || list.length > MAX_PATTERNS)
      return `${name} must be a list of at most ${MAX_PATTERNS} patterns`;
    const bad = list.find((p) => typeof p !== "string" || !isValidPattern(p));
    return bad === undefined
      ? (list as string[])
      : `${name}: ${JSON.stringify(bad)} is not a channel pattern`;
  };
  const subscribe = patterns("subscribe");
  if (typeof subscribe === "string") return subscribe;
  const publish = patterns("publish");
  if (typeof publish === "string") return publish;
  return { sub, ttlSeconds, capabilities: { broadcast, subscribe, publish } };
}
