import type { ConnectionStore } from "./connections.js";
import type { MembershipStore } from "./memberships.js";

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
    pages: (range, writtenBy) => store.pages(range, writtenBy),
  };
}
