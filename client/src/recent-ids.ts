/**
 * The ids of recently delivered messages, remembered per scope (a channel, or `undefined` for broadcasts), to drop
 * a repeat: the same message arriving on both connections while a renewal overlaps, or again after a publisher
 * re-sent it. Per scope because each publisher chooses its own ids: `msg-1` on one channel says nothing about
 * `msg-1` on another. Bounded: at most `perScope` ids per scope (the oldest forgotten first), in at most `scopes`
 * scopes (the least recently active forgotten first), so that a flood on one channel cannot evict another's ids.
 * By default 256 ids in each of 64 scopes: a connection holds at most 50 subscriptions, plus broadcasts.
 * @returns a function that remembers an id and answers false when it was already remembered (a repeat); a message
 *   without an id is always new, and remembers nothing
 */
export function recentIds(
  perScope = 256,
  scopes = 64,
): (scope: string | undefined, id: string | undefined) => boolean {
  const byScope = new Map<string | undefined, Set<string>>();
  return (scope, id) => {
    if (id === undefined) return true;
    const ids = byScope.get(scope) ?? new Set<string>();
    // Re-inserted so that the map's order is the order of last activity.
    byScope.delete(scope);
    byScope.set(scope, ids);
    if (byScope.size > scopes) byScope.delete(byScope.keys().next().value);
    if (ids.has(id)) return false;
    ids.add(id);
    if (ids.size > perScope) ids.delete(ids.values().next().value as string);
    return true;
  };
}
