/**
 * What a connection may do: the shape of the `fanout` claim of a token (docs/security.md, "Token format"), which the CLIs and
 * the local console write and the `$connect` authorizer reads. Its patterns follow `isValidPattern` of
 * `grammar.ts`, at most `MAX_PATTERNS` of `limits.ts` per list.
 */

/** The claim of a token that carries its rights. */
export const RIGHTS_CLAIM = "fanout";

/** A connection's rights. */
export interface Rights {
  /** May send `{"action":"broadcast"}` to every connection. */
  readonly broadcast: boolean;
  /** Patterns of the channels it may subscribe to (one exact channel per subscribe). */
  readonly subscribe: readonly string[];
  /** Patterns of the channels it may publish to. */
  readonly publish: readonly string[];
}

/** A token without a rights claim: receive broadcasts and SNS, nothing else. */
export const NO_RIGHTS: Rights = /* @__PURE__ */ Object.freeze({
  broadcast: false,
  subscribe: [],
  publish: [],
});

/** Open (anonymous) mode: every right, as the contract says. */
export const ALL_RIGHTS: Rights = /* @__PURE__ */ Object.freeze({
  broadcast: true,
  subscribe: ["**"],
  publish: ["**"],
});
