import type { ConnectionStore } from "./connections.js";
import { type FanoutDependencies, type FanoutOptions, type FanoutSummary, fanOut } from "./fanout.js";
import type { Log } from "./log.js";
import type { MembershipStore } from "./memberships.js";

/**
 * The one place where channels meet the fan-out engine of `fanout.ts`: the engine takes a page source (the
 * channel's members) and removes gone recipients through the store (decorated to remove their memberships too).
 */

/**
 * A connection store whose removals also remove the connection from every channel it joined. Passed as the
 * `store` of every route, it makes `$disconnect`, a 410 during a broadcast or a publish, and a gone sender in
 * `reply` all clean up memberships without any of them knowing about channels.
 * Memberships go first, then the connection key; both are attempted, and the first failure is rethrown.
 * @param store - the connection store
 * @param memberships - the membership store
 */
export function withMembershipCleanup(store: ConnectionStore, memberships: MembershipStore): ConnectionStore {
  const removeAll = async (
    connectionIds: readonly string[],
    removeKeys: () => Promise<void>,
  ): Promise<void> => {
    const results = await Promise.allSettled([memberships.removeConnections(connectionIds), removeKeys()]);
    for (const result of results) if (result.status === "rejected") throw result.reason;
  };
  return {
    add: (connectionId) => store.add(connectionId),
    remove: (connectionId) => removeAll([connectionId], () => store.remove(connectionId)),
    removeMany: (connectionIds) => removeAll(connectionIds, () => store.removeMany(connectionIds)),
    pages: (range) => store.pages(range),
  };
}

/** What a fan-out to one channel needs. */
export interface ChannelFanoutDependencies {
  /** The connection store, decorated by {@link withMembershipCleanup}: a gone member is removed everywhere. */
  store: ConnectionStore;
  /** Lists the channel's members. */
  memberships: MembershipStore;
  /** Sends to one connection. */
  send: FanoutDependencies["send"];
  /** Receives the rare failure to remove stale keys. */
  log: Log;
}

/**
 * Sends one payload to the members of one channel: the engine pages through `channel-members/<channel>/` only,
 * so the cost grows with the channel's members, not with all connections. A gone (410) member is removed from the
 * connection store and from every channel through `deps.store`. The caller logs the summary (`logFanout`).
 * @param deps - store, memberships, send and log
 * @param channel - the channel
 * @param data - the delivery frame, serialised once
 * @param options - the engine's options
 * @throws FanoutError when listing the members failed (after sending to every member already listed)
 */
export function fanOutToChannel(
  deps: ChannelFanoutDependencies,
  channel: string,
  data: Uint8Array,
  options: Partial<FanoutOptions> = {},
): Promise<FanoutSummary> {
  return fanOut(
    { store: deps.store, source: deps.memberships.members(channel), send: deps.send, log: deps.log },
    data,
    options,
  );
}
