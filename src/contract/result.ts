/**
 * What a check, a parse or a serialisation gives: the value, or why there is none. One shape for every such result
 * in the project, so that `if (!result.ok) return result` reads the same everywhere.
 */
export type Result<T, E> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: E };
