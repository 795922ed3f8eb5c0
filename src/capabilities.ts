import { isValidChannel } from "./channels.js";

/**
 * What a connection may do, from its token's `fanout` claim (CONTRACT.md, "Tokens"). The authorizer validates the
 * claim and passes it on as a JSON string in `requestContext.authorizer.fanout`; every later event reads it back
 * here, without a lookup.
 */
export interface Capabilities {
  /** May send `{"action":"broadcast"}` to every connection. */
  readonly broadcast: boolean;
  /** Patterns of the channels it may subscribe to (one exact channel per subscribe). */
  readonly subscribe: readonly string[];
  /** Patterns of the channels it may publish to. */
  readonly publish: readonly string[];
}

/** A token without a `fanout` claim, or a context that cannot be read: receive broadcasts and SNS, nothing else. */
export const NO_RIGHTS: Capabilities = Object.freeze({ broadcast: false, subscribe: [], publish: [] });

/** Open (anonymous) mode: every right, as the contract says. */
export const ALL_RIGHTS: Capabilities = Object.freeze({
  broadcast: true,
  subscribe: ["**"],
  publish: ["**"],
});

/** How the stack admits connections: `token` (the default on AWS) or `open` (anonymous, every right). */
export type AuthMode = "token" | "open";

/** At most this many patterns per list: a token is capped at 4 KB anyway; this bounds the matching work. */
export const MAX_PATTERNS = 50;

/**
 * Whether a string is a channel pattern: like a channel, but a segment may be `*` (exactly one segment), and the
 * last segment may be `**` (one or more remaining segments).
 * @param pattern - the candidate
 */
export function isValidPattern(pattern: unknown): pattern is string {
  if (typeof pattern !== "string") return false;
  // The channel grammar of channels.ts, with the wildcards standing in for same-length literal segments, so that
  // length, characters and empty segments are judged by the one implementation.
  const segments = pattern.split("/");
  const literal = segments.map((segment, index) =>
    segment === "*" ? "x" : segment === "**" && index === segments.length - 1 ? "xx" : segment,
  );
  return isValidChannel(literal.join("/"));
}

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
