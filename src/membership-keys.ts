/**
 * The S3 key layout of channel memberships. Dependency-free, so that `deployment/` (lifecycle rule, IAM) can
 * import the prefixes without pulling in the SDK.
 *
 * - `channel-members/<enc(channel)>/~<bb>/<enc(connectionId)>`: who is in a channel, spread over the 256 buckets of
 *   `shards.ts` (`bb` = the connection's bucket), so that the shards of a large publish each list their own part
 *   of one channel. A publish lists exactly one channel. (No flat member keys were ever written: channels shipped
 *   with this layout, so there is nothing to migrate.)
 * - `connection-channels/<enc(connectionId)>/<enc(channel)>`: the reverse index. `$disconnect` and a 410 list one
 *   connection's channels instead of scanning every channel.
 *
 * Both parts of each key are encoded as one path segment (see {@link encodeKeySegment}), so listing the prefix
 * `channel-members/news/` can never return the members of `news/sport` (`channel-members/news%2Fsport/...`).
 */

/** Prefix of the per-channel member keys (a sibling of the connection prefix, never under it). */
export const CHANNEL_MEMBERS_PREFIX = "channel-members";

/** Prefix of the per-connection reverse index. */
export const CONNECTION_CHANNELS_PREFIX = "connection-channels";

/**
 * Encodes a channel name or a connection id as one key segment: `encodeURIComponent` (which turns `/`, `+` and
 * `=` into `%2F`, `%2B`, `%3D`), plus `.` as `%2E`. The channel grammar allows `.` and `..` as segments, and S3's
 * object-key guidelines warn that keys with `./` or `../` are mangled by tools that normalise URL paths (path-style
 * requests put the key in the path).
 * @param value - a channel name or a connection id
 */
export function encodeKeySegment(value: string): string {
  return encodeURIComponent(value).replaceAll(".", "%2E");
}

/**
 * Reverses {@link encodeKeySegment}.
 * @param segment - an encoded segment
 * @returns the value, or undefined when the segment is not a valid encoding (a key someone else wrote)
 */
export function decodeKeySegment(segment: string): string | undefined {
  if (segment === "" || segment.includes("/")) return undefined;
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

import { BUCKET_COUNT, type BucketRange, bucketOf, bucketSegment } from "./shards.js";

/**
 * The listing prefix of one channel's members, trailing slash included (every bucket).
 * @param channel - a valid channel name
 */
export function channelMembersPrefix(channel: string): string {
  return `${CHANNEL_MEMBERS_PREFIX}/${encodeKeySegment(channel)}/`;
}

/**
 * The listing prefix of one connection's channels, trailing slash included.
 * @param connectionId - the connection
 */
export function connectionChannelsPrefix(connectionId: string): string {
  return `${CONNECTION_CHANNELS_PREFIX}/${encodeKeySegment(connectionId)}/`;
}

/**
 * The key saying that `connectionId` is a member of `channel`.
 * @param channel - the channel
 * @param connectionId - the connection
 */
export function memberKey(channel: string, connectionId: string): string {
  return `${channelMembersPrefix(channel)}${bucketSegment(bucketOf(connectionId))}/${encodeKeySegment(connectionId)}`;
}

/**
 * The listing of one channel's members in some buckets: the keys under {@link channelMembersPrefix} after
 * `startAfter` and before `before` (to the end of the channel for the last bucket).
 * @param channel - a valid channel name
 * @param range - the buckets
 */
export function channelMembersRange(
  channel: string,
  range: BucketRange,
): { prefix: string; startAfter: string; before?: string } {
  const root = channelMembersPrefix(channel);
  return {
    prefix: root,
    // `<root>~0a` sorts just before every `<root>~0a/...` key.
    startAfter: `${root}${bucketSegment(range.from)}`,
    before: range.to >= BUCKET_COUNT ? undefined : `${root}${bucketSegment(range.to)}`,
  };
}

/**
 * The connection id a member key names, or undefined for a key of another shape (a folder object, a key someone
 * else wrote).
 * @param channel - the channel listed
 * @param key - a key under {@link channelMembersPrefix}
 */
export function memberIdOfKey(channel: string, key: string): string | undefined {
  const rest = key.slice(channelMembersPrefix(channel).length);
  const slash = rest.indexOf("/");
  if (slash !== bucketSegment(0).length) return undefined;
  return decodeKeySegment(rest.slice(slash + 1));
}

/**
 * The reverse-index key saying that `connectionId` joined `channel`.
 * @param connectionId - the connection
 * @param channel - the channel
 */
export function reverseKey(connectionId: string, channel: string): string {
  return `${connectionChannelsPrefix(connectionId)}${encodeKeySegment(channel)}`;
}
