/**
 * The delay before reconnect attempt `attempt` (0 for the first retry): "full jitter", a uniform draw from
 * [0, min(capMs, baseMs * 2^attempt)). Full jitter rather than equal or no jitter because the clients that API
 * Gateway drops at once (a deploy, the 2-hour cap) must not come back at once: the account accepts 500 new
 * connections a second, and a synchronized wave turns into minutes of refused handshakes.
 *
 * @param random - a source of uniform numbers in [0, 1), injectable for tests.
 */
export function backoffDelay(attempt: number, baseMs: number, capMs: number, random: () => number): number {
  return random() * Math.min(capMs, baseMs * 2 ** attempt);
}
