/**
 * The part of the platform `WebSocket` the client uses. Handlers are typed `unknown` so that both the DOM
 * `WebSocket` and a test double fit without DOM or Node type declarations.
 */
export interface SocketLike {
  onopen: unknown;
  onmessage: unknown;
  onclose: unknown;
  onerror: unknown;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/** A `WebSocket` constructor: the platform global by default. */
export type SocketConstructor = new (url: string) => SocketLike;

/** Options of `createClient`. Durations in milliseconds; every one but `url` and `token` has a default. */
export interface ClientOptions {
  /** The WebSocket URL, e.g. `wss://abc.execute-api.eu-west-1.amazonaws.com/primary`. */
  url: string;
  /** Returns a fresh token; called before every connection attempt, appended to the URL as `?token=`. */
  token?: () => string | Promise<string>;
  /** The WebSocket constructor; default `globalThis.WebSocket` (browsers, Node 22+). */
  WebSocket?: SocketConstructor;
  /**
   * Whether the WebSocket sends a message over 32 KB as fragments of at most 32 KB, API Gateway's frame limit.
   * Browsers and Node's built-in WebSocket cannot (and the `ws` package does not unless told), so by default a
   * frame over 32 KB is refused before sending with `FRAME_TOO_LARGE`; with true, up to 128 KB may be sent.
   */
  canFragment?: boolean;
  /** Sends `{"action":"ping"}` this often; default 5 minutes (API Gateway closes idle connections at 10). */
  pingIntervalMs?: number;
  /** A link that answers nothing this long after a ping is dead and gets replaced; default 10 s. */
  pongTimeoutMs?: number;
  /** A handshake that takes longer than this fails; default 15 s. */
  connectTimeoutMs?: number;
  /**
   * A subscribe, unsubscribe, publish, broadcast or history request not settled this long after it was made rejects
   * with `TIMEOUT` (carrying the last connection failure while the client cannot connect), and is not sent
   * afterwards; default 30 s.
   */
  requestTimeoutMs?: number;
  /**
   * A publish or broadcast with an id is re-sent on a new connection when the one it was sent on closes before
   * `accepted`, at most this many times; then it rejects with `NOT_ACCEPTED`. Default 3.
   */
  maxResends?: number;
  /**
   * Replaces an open connection at a moment drawn uniformly from this range; default 100 to 115 minutes, ahead of
   * API Gateway's 2-hour cap and spread out so that clients that connected together do not renew together.
   */
  renewAfterMs?: [min: number, max: number];
  /**
   * A message of a channel with history that arrives ahead of the next one waits this long for the ones before it
   * (concurrent publishes may arrive out of order) before the client asks the service for them; default 2 s.
   */
  gapWaitMs?: number;
  /** Reconnect backoff: the first retry waits up to this long, doubling per failed attempt; default 1 s. */
  backoffBaseMs?: number;
  /** The longest reconnect backoff; default 30 s. */
  backoffCapMs?: number;
  /** Uniform numbers in [0, 1) for the jitter; default `Math.random`. */
  random?: () => number;
}

/** The default of every option that has one. */
export const DEFAULTS = {
  canFragment: false,
  pingIntervalMs: 300_000,
  pongTimeoutMs: 10_000,
  connectTimeoutMs: 15_000,
  requestTimeoutMs: 30_000,
  maxResends: 3,
  renewAfterMs: [6_000_000, 6_900_000],
  gapWaitMs: 2_000,
  backoffBaseMs: 1_000,
  backoffCapMs: 30_000,
  random: Math.random,
} satisfies Omit<Required<ClientOptions>, "url" | "token" | "WebSocket">;

/** The options with every default applied (an option given as `undefined` gets its default too). */
export function withDefaults(options: ClientOptions): ClientOptions & typeof DEFAULTS {
  const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
  return { ...DEFAULTS, ...given } as ClientOptions & typeof DEFAULTS;
}
