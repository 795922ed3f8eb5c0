/**
 * A connection's rights (their shape is the contract's, `src/contract/rights.ts`): read from a token's claim by the
 * `$connect` authorizer, passed on by API Gateway to every later event of the connection, and checked here, in one
 * place, for every action that needs one (`src/actions/routes.ts` names the right of each action).
 */
import type { AuthMode } from "../contract/environment.js";
import { isValidChannel, isValidPattern } from "../contract/grammar.js";
import { MAX_PATTERNS } from "../contract/limits.js";
import { ALL_RIGHTS, NO_RIGHTS, RIGHTS_CLAIM, type Rights } from "../contract/rights.js";

/** One right: broadcast, or subscribe or publish to a channel. */
export type Right = keyof Rights;

/**
 * Whether the rights grant one: `broadcast` as such, `subscribe` and `publish` for one exact, valid channel (never
 * a pattern: docs/channels.md, "No wildcard subscriptions").
 * @param rights - the connection's rights
 * @param right - the right the action needs
 * @param channel - the channel of the request, for subscribe and publish
 */
export function hasRight(rights: Rights, right: Right, channel?: string): boolean {
  if (right === "broadcast") return rights.broadcast;
  return isValidChannel(channel) && rights[right].some((pattern) => matchesPattern(pattern, channel));
}

/**
 * Whether a channel matches a pattern. Both are assumed valid
 * (`isValidChannel` and `isValidPattern` of `src/contract/grammar.ts`).
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
 * Reads the rights claim (`fanout`) of a verified token. An absent claim means no rights; a present but malformed one
 * (wrong types, invalid patterns, too many) is refused as a whole, so an issuer's mistake shows up as a refused
 * token with a logged reason rather than as a connection with surprising rights.
 * @param claim - the claim's value
 * @returns the rights, or `undefined` when the claim is malformed
 */
export function parseRightsClaim(claim: unknown): Rights | undefined {
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
 * The authorizer context value for the rights: a JSON string, because API Gateway context values must be strings,
 * numbers or booleans. Only the known keys, so a token's extra keys are not passed on.
 * @param rights - validated rights
 */
export function serializeRights(rights: Rights): string {
  return JSON.stringify({
    broadcast: rights.broadcast,
    subscribe: rights.subscribe,
    publish: rights.publish,
  });
}

/**
 * A connection's rights from an event's `requestContext.authorizer`. Open mode grants everything (there is
 * no authorizer). In token mode anything unreadable grants nothing: the context comes from our own authorizer,
 * so a malformed one is a bug, and failing closed is the safe side of it.
 * @param authorizer - `event.requestContext.authorizer` as received
 * @param mode - the stack's mode
 */
export function rightsFromContext(authorizer: unknown, mode: AuthMode): Rights {
  if (mode === "open") return ALL_RIGHTS;
  if (typeof authorizer !== "object" || authorizer === null) return NO_RIGHTS;
  const raw = (authorizer as Record<string, unknown>)[RIGHTS_CLAIM];
  if (typeof raw !== "string" || raw.length > 16_384) return NO_RIGHTS;
  let claim: unknown;
  try {
    claim = JSON.parse(raw);
  } catch {
    return NO_RIGHTS;
  }
  // `null` or a non-object would otherwise read as "no claim"; same result, stated.
  if (claim === undefined || claim === null) return NO_RIGHTS;
  return parseRightsClaim(claim) ?? NO_RIGHTS;
}

/**
 * Removes client publishing when the stack turns it off (`CLIENT_PUBLISHING=false`): SNS stays the only publisher.
 * @param rights - the connection's rights
 * @param clientPublishing - whether the stack allows clients to broadcast and publish
 */
export function withClientPublishing(rights: Rights, clientPublishing: boolean): Rights {
  return clientPublishing ? rights : { ...rights, broadcast: false, publish: [] };
}

/**
 * What the connection that sent an event may do. In token mode the rights come from the token, which the `$connect`
 * authorizer validated and API Gateway passes to every later event of the connection as
 * `requestContext.authorizer.fanout` (a JSON string); no lookup is made. Open mode grants every right. Either way
 * `CLIENT_PUBLISHING=false` takes broadcast and publish away.
 * @param authorizer - the event's `requestContext.authorizer`
 * @param auth - the stack's mode and whether clients may publish
 */
export function rightsOf(authorizer: unknown, auth: { mode: AuthMode; clientPublishing: boolean }): Rights {
  return withClientPublishing(rightsFromContext(authorizer, auth.mode), auth.clientPublishing);
}
