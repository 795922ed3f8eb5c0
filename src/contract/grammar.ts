/**
 * The grammar of names on the wire: channels, the patterns of a token's rights, and client-chosen ids. Each check
 * answers what is wrong in words a person can act on, so that the server's refusals and the CLIs' usage errors say
 * the same thing.
 */
import { MAX_CHANNEL_LENGTH, MAX_ID_LENGTH } from "./limits.js";

const SEGMENT = /^[A-Za-z0-9_.-]+$/;
const ID = /^[A-Za-z0-9_-]+$/;

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
