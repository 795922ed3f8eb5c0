import type { AuthMode } from "./contract/environment.js";
import { isValidChannel, isValidPattern } from "./contract/grammar.js";
import { MAX_PATTERNS } from "./contract/limits.js";
import { ALL_RIGHTS, NO_RIGHTS, type Rights } from "./contract/rights.js";

/** What a connection may do: the rights of its token (`src/contract/rights.ts`). */
export type Capabilities = Rights;

/**
 * Whether a channel matches a pattern. Both are assumed valid (see `isValidChannel` of `channels.ts`, {@link isValidPattern}).
 * @param pattern - e.g. `news/*`, `news/**`, `**`
 * @param channel - e.g. `news/sport`
 */
export function matchesPattern(pattern: string, channel: string): boolean {
  const wanted = pattern.split("/");
  const actual = channel.split("/");
  for (let i = 0; i < wanted.length; i++) {
    const segment = wanted[i];
    if (segment === "**") return actual.length > i; // one or more remaining segments
    if (i >= actual.length) return false;
    if (segment !== "*" && segment !== actual[i]) return false;
  }
  return actual.length === wanted.length;
}

/**
 * Reads the `fanout` claim of a verified token. An absent claim means no rights; a present but malformed one
 * (wrong types, invalid patterns, too many) is refused as a whole, so an issuer's mistake shows up as a refused
 * token with a logged reason rather than as a connection with surprising rights.
 * @param claim - the claim's value
 * @returns the capabilities, or `undefined` when the claim is malformed
 */
export function parseCapabilityClaim(claim: unknown): Capabilities | undefined {
  if (claim === undefined) return NO_RIGHTS;
  if (typeof claim !== "object" || claim === null || Array.isArray(claim)) return undefined;
  const { broadcast, subscribe, publish } = claim as Record<string, unknown>;
  if (broadcast !== undefined && typeof broadcast !== "boolean") return undefined;
  const subscribePatterns = patternList(subscribe);
  const publishPatterns = patternList(publish);
  if (subscribePatterns === undefined || publishPatterns === undefined) return undefined;
  return { broadcast: broadcast === true, subscribe: subscribePatterns, publish: publishPatterns };
}

function patternList(value: unknown): string[] | undefined {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > MAX_PATTERNS || !value.every(isValidPattern)) return undefined;
  return [...value];
}

/**
 * The authorizer context value for the capabilities: a JSON string, because API Gateway context values must be
 * strings, numbers or booleans. Only the known keys, so a token's extra keys are not passed on.
 * @param capabilities - validated capabilities
 */
export function serializeCapabilities(capabilities: Capabilities): string {
  return JSON.stringify({
    broadcast: capabilities.broadcast,
    subscribe: capabilities.subscribe,
    publish: capabilities.publish,
  });
}

/**
 * A connection's capabilities from an event's `requestContext.authorizer`. Open mode grants everything (there is
 * no authorizer). In token mode anything unreadable grants nothing: the context comes from our own authorizer,
 * so a malformed one is a bug, and failing closed is the safe side of it.
 * @param authorizer - `event.requestContext.authorizer` as received
 * @param mode - the stack's mode
 */
export function capabilitiesFromContext(authorizer: unknown, mode: AuthMode): Capabilities {
  if (mode === "open") return ALL_RIGHTS;
  if (typeof authorizer !== "object" || authorizer === null) return NO_RIGHTS;
  const raw = (authorizer as Record<string, unknown>).fanout;
  if (typeof raw !== "string" || raw.length > 16_384) return NO_RIGHTS;
  let claim: unknown;
  try {
    claim = JSON.parse(raw);
  } catch {
    return NO_RIGHTS;
  }
  // `null` or a non-object would otherwise read as "no claim"; same result, stated.
  if (claim === undefined || claim === null) return NO_RIGHTS;
  return parseCapabilityClaim(claim) ?? NO_RIGHTS;
}

/**
 * Removes client publishing when the stack turns it off (`CLIENT_PUBLISHING=false`): SNS stays the only publisher.
 * @param capabilities - the connection's capabilities
 * @param clientPublishing - whether the stack allows clients to broadcast and publish
 */
export function withClientPublishing(capabilities: Capabilities, clientPublishing: boolean): Capabilities {
  return clientPublishing ? capabilities : { ...capabilities, broadcast: false, publish: [] };
}

/**
 * Whether the connection may broadcast.
 * @param capabilities - the connection's capabilities
 */
export function canBroadcast(capabilities: Capabilities): boolean {
  return capabilities.broadcast;
}

/**
 * Whether the connection may subscribe to one exact channel (never a pattern: CONTRACT.md has no wildcard
 * subscriptions).
 * @param capabilities - the connection's capabilities
 * @param channel - the channel named in the subscribe frame
 */
export function canSubscribe(capabilities: Capabilities, channel: string): boolean {
  return (
    isValidChannel(channel) && capabilities.subscribe.some((pattern) => matchesPattern(pattern, channel))
  );
}

/**
 * Whether the connection may publish to a channel.
 * @param capabilities - the connection's capabilities
 * @param channel - the channel named in the publish frame
 */
export function canPublish(capabilities: Capabilities, channel: string): boolean {
  return isValidChannel(channel) && capabilities.publish.some((pattern) => matchesPattern(pattern, channel));
}
