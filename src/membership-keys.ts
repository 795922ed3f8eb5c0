/**
 * The S3 key layout of channel memberships. Dependency-free, so that `deployment/` (lifecycle rule, IAM) can
 * import the prefixes without pulling in the SDK.
 *
 * - `channel-members/<enc(channel)>/<enc(connectionId)>`: who is in a channel. A publish lists exactly one channel.
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

/**
 * The listing prefix of one channel's members, trailing slash included.
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
  return `${channelMembersPrefix(channel)}${encodeKeySegment(connectionId)}`;
}

/**
 * The reverse-index key saying that `connectionId` joined `channel`.
 * @param connectionId - the connection
 * @param channel - the channel
 */
export function reverseKey(connectionId: string, channel: string): string {
  return `${connectionChannelsPrefix(connectionId)}${encodeKeySegment(channel)}`;
}
