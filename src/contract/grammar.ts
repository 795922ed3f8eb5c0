/**
 * The grammar of names on the wire: channels, the patterns of a token's rights, and client-chosen ids. Each check
 * answers what is wrong in words a person can act on, so that the server's refusals and the CLIs' usage errors say
 * the same thing.
 */
import { MAX_CHANNEL_LENGTH, MAX_HISTORY_LIMIT, MAX_ID_LENGTH } from "./limits.js";
import { MAX_EPOCH_LENGTH, type Position } from "./messages.js";

const SEGMENT = /^[A-Za-z0-9_.-]+$/;
const ID = /^[A-Za-z0-9_-]+$/;
const EPOCH = new RegExp(`^[0-9a-z]{1,${MAX_EPOCH_LENGTH}}$`);

/** A channel name as the texts suggest one. */
export const CHANNEL_EXAMPLE = `"news/sport"`;

/**
 * What is wrong with a channel name, if anything: a name has 1..128 characters, segments of `[A-Za-z0-9_.-]`
 * separated by "/", no empty segment. The text says what is wrong and what a valid name looks like.
 * @param channel - the `channel` field as the client sent it
 * @returns the fault, or undefined for a valid name
 */
export function channelProblem(channel: unknown): string | undefined {
  if (typeof channel !== "string") {
    return `"channel" must be a string such as ${CHANNEL_EXAMPLE}, got ${typeof channel === "object" ? (channel === null ? "null" : Array.isArray(channel) ? "an array" : "an object") : `a ${typeof channel}`}.`;
  }
  // Length first: a hostile 128 KB name costs nothing more than this comparison.
  if (channel.length === 0 || channel.length > MAX_CHANNEL_LENGTH) {
    return `A channel name has 1 to ${MAX_CHANNEL_LENGTH} characters, got ${channel.length}; send a name such as ${CHANNEL_EXAMPLE}.`;
  }
  const segments = channel.split("/");
  for (const [index, segment] of segments.entries()) {
    if (segment === "") {
      const where = index === 0 ? "a leading" : index === segments.length - 1 ? "a trailing" : "a doubled";
      return `The channel name ${JSON.stringify(channel)} has ${where} "/"; separate non-empty segments with one "/", such as ${CHANNEL_EXAMPLE}.`;
    }
    if (!SEGMENT.test(segment)) {
      const bad = [...segment].find((character) => !SEGMENT.test(character)) ?? "";
      return `The channel name ${JSON.stringify(channel)} contains ${JSON.stringify(bad)}; use only letters, digits, "_", "." and "-" in segments separated by "/", such as ${CHANNEL_EXAMPLE}.`;
    }
  }
  return undefined;
}

/**
 * Whether a value is a valid channel name ({@link channelProblem} without the text).
 * @param channel - the candidate
 */
export function isValidChannel(channel: unknown): channel is string {
  return channelProblem(channel) === undefined;
}

/**
 * Whether a value is a valid client-chosen id: 1..64 characters of `[A-Za-z0-9_-]`.
 * @param id - the candidate
 */
export function isValidId(id: unknown): id is string {
  return typeof id === "string" && id.length > 0 && id.length <= MAX_ID_LENGTH && ID.test(id);
}

/** What is wrong with an id that is not {@link isValidId}. */
export function idProblem(): string {
  return `"id" must be 1 to ${MAX_ID_LENGTH} characters of letters, digits, "_" and "-", such as "a1b2-c3"; or leave it out.`;
}

/**
 * Whether a string is a channel pattern of a token's rights: like a channel, but a segment may be `*` (exactly one
 * segment), and the last segment may be `**` (one or more remaining segments).
 * @param pattern - the candidate
 */
export function isValidPattern(pattern: unknown): pattern is string {
  if (typeof pattern !== "string") return false;
  // The channel grammar, with the wildcards standing in for same-length literal segments, so that length,
  // characters and empty segments are judged by the one implementation.
  const segments = pattern.split("/");
  const literal = segments.map((segment, index) =>
    segment === "*" ? "x" : segment === "**" && index === segments.length - 1 ? "xx" : segment,
  );
  return isValidChannel(literal.join("/"));
}

/**
 * A position as a client sends it back (`since`): `{"epoch":E,"offset":N}` as a channel frame carried it, or
 * `{"offset":0}` for "before the first message" (what a client holds after subscribing to an empty history).
 * @param since - the `since` field as the client sent it
 * @returns the position (epoch "" for offset 0 without one), or what is wrong with it
 */
export function readPosition(since: unknown): { position: Position } | { problem: string } {
  const example = `such as {"epoch":"ab12","offset":41} from a channel frame, or {"offset":0} before the first message`;
  if (typeof since !== "object" || since === null || Array.isArray(since)) {
    return { problem: `"since" must be a position object, ${example}.` };
  }
  const { epoch, offset } = since as Record<string, unknown>;
  if (!Number.isSafeInteger(offset) || (offset as number) < 0) {
    return { problem: `"since" needs an "offset" that is a whole number of 0 or more, ${example}.` };
  }
  if (epoch === undefined && offset === 0) return { position: { epoch: "", offset: 0 } };
  if (typeof epoch !== "string" || !EPOCH.test(epoch)) {
    return {
      problem: `"since" needs the "epoch" its offset came with (1 to ${MAX_EPOCH_LENGTH} of 0-9 and a-z), ${example}.`,
    };
  }
  return { position: { epoch, offset: offset as number } };
}

/**
 * Whether a value is a valid `limit` of a history request: a whole number from 1 to {@link MAX_HISTORY_LIMIT}.
 * @param limit - the candidate
 */
export function isValidLimit(limit: unknown): limit is number {
  return Number.isInteger(limit) && (limit as number) >= 1 && (limit as number) <= MAX_HISTORY_LIMIT;
}
