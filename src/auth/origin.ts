/**
 * The optional Origin allow-list at `$connect`. Browsers always send `Origin` on a WebSocket handshake and page
 * scripts cannot change it, so the list stops other web sites from using a visitor's browser (and its token) to
 * connect. Clients that are not browsers send no `Origin` and can forge one anyway, so a missing `Origin` is
 * allowed: the list is a browser protection, not authentication.
 */

/** What the check found. */
export type OriginCheck = { allowed: true } | { allowed: false; origin: string };

/**
 * Parses the allow-list as configured (`ALLOWED_ORIGINS`): origins separated by commas, e.g.
 * `https://app.example.com,http://localhost:5173`. Empty means no list (every origin allowed).
 * @param raw - the variable's value
 * @returns the normalised origins, or `undefined` for no list
 * @throws Error naming the first entry that is not an origin (scheme, host and optional port; no path)
 */
export function parseAllowedOrigins(raw: string | undefined): readonly string[] | undefined {
  const entries = (raw ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  if (entries.length === 0) return undefined;
  return entries.map((entry) => {
    if (entry === "null") return entry; // what sandboxed frames and file:// pages send, allowed only if listed
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      throw new Error(`"${entry}" is not an origin such as https://app.example.com`);
    }
    if (url.origin === "null" || url.origin !== entry.toLowerCase().replace(/\/$/, "")) {
      throw new Error(
        `"${entry}" is not an origin such as https://app.example.com (no path, query or fragment)`,
      );
    }
    return url.origin;
  });
}

/**
 * Checks a handshake's `Origin` header against the allow-list.
 * @param headers - the event's `headers` (names in any case, as API Gateway passes them on)
 * @param allowList - from {@link parseAllowedOrigins}; `undefined` allows every origin
 */
export function checkOrigin(headers: unknown, allowList: readonly string[] | undefined): OriginCheck {
  if (allowList === undefined) return { allowed: true };
  const origin = headerValue(headers, "origin");
  if (origin === undefined) return { allowed: true };
  const normalised = origin.trim().toLowerCase();
  if (allowList.includes(normalised)) return { allowed: true };
  // Truncated: the value is attacker-chosen and goes into a log line.
  return { allowed: false, origin: origin.slice(0, 200) };
}

/**
 * One header's value, matching the name case-insensitively.
 * @param headers - a headers object, or anything (a hostile event)
 * @param name - the header name in lower case
 */
export function headerValue(headers: unknown, name: string): string | undefined {
  if (typeof headers !== "object" || headers === null) return undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name && typeof value === "string") return value;
  }
  return undefined;
}
