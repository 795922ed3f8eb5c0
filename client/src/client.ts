import { backoffDelay } from "./backoff.js";
import { type ErrorContext, FanoutError } from "./errors.js";
import {
  type AttemptFailure,
  connectError,
  notAcceptedError,
  oversizeFrame,
  timeoutError,
} from "./failures.js";
import { type ClientOptions, DEFAULTS, type SocketConstructor, type SocketLike } from "./options.js";
import { recentIds } from "./recent-ids.js";
import type { ClientEvents, ConnectionState, FanoutClient } from "./types.js";

interface Waiter {
  resolve(): void;
  reject(error: FanoutError): void;
}

/** What a request is, for its errors. */
type RequestContext = ErrorContext & { action: string };

/** A publish or broadcast with an id, until `accepted`. */
interface Ack {
  frame: string;
  waiter: Waiter;
  context: RequestContext & { id: string };
  /** The connection it was last sent on. */
  sentOn: Conn | undefined;
  /** How many connections closed after it was sent on them, before it was accepted. */
  lost: number;
}

/** One WebSocket and its timers. */
interface Conn {
  ws: SocketLike;
  open: boolean;
  /** While renewing: the channels this connection must still confirm before it replaces the current one. */
  resub: Set<string> | undefined;
  /** The handshake (and, for a renewal, resubscription) deadline, then the renewal moment. */
  timer: Timer;
  ping: Timer;
  /** Set while a ping waits for an answer. */
  pong: Timer;
  /** The last error event, which may say why the handshake failed. */
  error: unknown;
  /** The token of this attempt, kept out of error texts. */
  token: string | undefined;
}

type Timer = ReturnType<typeof setTimeout> | undefined;

const ID = /^[A-Za-z0-9_-]{1,64}$/;
/** Message ids remembered per channel (and for broadcasts) to drop a repeat. */
const RECENT_IDS_PER_SCOPE = 256;
/** Channels whose ids are remembered: a connection holds at most 50 subscriptions, plus broadcasts. */
const RECENT_ID_SCOPES = 64;

/**
 * Creates a client and starts connecting.
 *
 * A connection drop (a server-side close, an idle close, a dead link) leads to a retry after a full-jitter
 * backoff; every retry asks the token provider again, so a refused handshake gets a fresh token, and every failed
 * attempt is reported as an `error` event (`CONNECT`). Once open, the client resubscribes every channel, re-sends
 * the publishes still waiting for `accepted`, then sends what was queued meanwhile. Ahead of the 2-hour cap it
 * opens a second connection, resubscribes on it, and only then closes the first (messages with an id that arrive
 * on both are delivered once). A request not settled within `requestTimeoutMs` rejects with `TIMEOUT`.
 */
export function createClient(options: ClientOptions): FanoutClient {
  const platform = options.WebSocket ?? (globalThis as { WebSocket?: SocketConstructor }).WebSocket;
  if (!platform) throw new TypeError("no WebSocket: pass options.WebSocket");
  const WS: SocketConstructor = platform;
  const random = options.random ?? DEFAULTS.random;
  const canFragment = options.canFragment ?? DEFAULTS.canFragment;
  const pingMs = options.pingIntervalMs ?? DEFAULTS.pingIntervalMs;
  const pongMs = options.pongTimeoutMs ?? DEFAULTS.pongTimeoutMs;
  const connectMs = options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs;
  const requestMs = options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs;
  const maxResends = options.maxResends ?? DEFAULTS.maxResends;
  const [renewMin, renewMax] = options.renewAfterMs ?? DEFAULTS.renewAfterMs;
  /** The URL without its query, which may hold a token: what error texts name. */
  const where = options.url.split("?")[0] ?? "";

  const listeners = new Map<string, Set<(value: unknown) => void>>();
  const channels = new Set<string>();
  /** Subscribe/unsubscribe waiters by `action channel`. */
  const requests = new Map<string, Waiter[]>();
  /** Publishes and broadcasts with an id, by id: re-sent after a reconnect until accepted. */
  const acks = new Map<string, Ack>();
  /** Frames without an id made while no connection was open, sent (and resolved) once one is. */
  const outbox: Array<{ frame: string; waiter: Waiter }> = [];
  const isNew = recentIds(RECENT_IDS_PER_SCOPE, RECENT_ID_SCOPES);
  /** The last failed connection attempt, until a connection opens: the cause of a request's TIMEOUT. */
  let lastFailure: FanoutError | undefined;
  let state: ConnectionState = "connecting";
  let current: Conn | undefined;
  let next: Conn | undefined;
  let attempt = 0;
  let opening = false;
  let retryTimer: Timer;

  function emit<K extends keyof ClientEvents>(event: K, value: ClientEvents[K]): void {
    for (const listener of listeners.get(event) ?? []) listener(value);
  }

  function setState(to: ConnectionState): void {
    if (state === to) return;
    state = to;
    emit("state", to);
  }

  /**
   * A connection attempt failed: remembered for the TIMEOUT of waiting requests, and reported in a microtask, so
   * that the caller of createClient has listened by then (the first attempt starts synchronously).
   */
  function fail(failure: AttemptFailure, token: string | undefined): void {
    const error = connectError(where, failure, token);
    lastFailure = error;
    queueMicrotask(() => {
      if (state !== "closed") emit("error", error);
    });
  }

  /**
   * A request's promise and its settlers. Unless settled within `requestTimeoutMs`, `forget` removes it from
   * where it waits (so that it is neither sent nor settled afterwards) and it rejects with TIMEOUT.
   */
  function pending(context: RequestContext, forget: (waiter: Waiter) => void) {
    let waiter: Waiter | undefined;
    const promise = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        forget(settler);
        reject(timeoutError(context, requestMs, current?.open ? undefined : lastFailure));
      }, requestMs);
      const settler: Waiter = {
        resolve() {
          clearTimeout(timer);
          resolve();
        },
        reject(error) {
          clearTimeout(timer);
          reject(error);
        },
      };
      waiter = settler;
    });
    return { promise, waiter: waiter as Waiter };
  }

  function settle(key: string, error?: FanoutError): boolean {
    const waiters = requests.get(key);
    requests.delete(key);
    for (const waiter of waiters ?? []) error ? waiter.reject(error) : waiter.resolve();
    return !!waiters;
  }

  function wait(action: "subscribe" | "unsubscribe", channel: string): Promise<void> {
    const key = `${action} ${channel}`;
    const { promise, waiter } = pending({ action, channel }, (expired) => {
      const rest = (requests.get(key) ?? []).filter((w) => w !== expired);
      if (rest.length) requests.set(key, rest);
      else requests.delete(key);
      // A subscription never confirmed is not kept: the app was told it failed.
      if (action === "subscribe" && !rest.length) forget(channel);
    });
    requests.set(key, [...(requests.get(key) ?? []), waiter]);
    return promise;
  }

  /** Drops a channel from the set kept across reconnects (and from a renewal's confirmations still awaited). */
  function forget(channel: string): void {
    channels.delete(channel);
    for (const conn of [current, next]) if (conn) confirm(conn, channel);
  }

  /** The frame's text, or the refusal of a frame the platform would not deliver. */
  function encode(body: Record<string, unknown>, context: RequestContext): string | FanoutError {
    const frame = JSON.stringify(body);
    return oversizeFrame(frame, canFragment, context) ?? frame;
  }

  /** Sends on every open connection (a renewal in progress must follow subscription changes too). */
  function sendAll(frame: string): boolean {
    let sent = false;
    for (const conn of [current, next]) {
      if (conn?.open) {
        conn.ws.send(frame);
        sent = true;
      }
    }
    return sent;
  }

  function sendAck(conn: Conn, ack: Ack): void {
    conn.ws.send(ack.frame);
    ack.sentOn = conn;
  }

  function subscribeFrame(channel: string): string {
    return JSON.stringify({ action: "subscribe", channel });
  }

  async function open(renewal: boolean): Promise<void> {
    let ws: SocketLike;
    let token: string | undefined;
    if (!renewal) opening = true;
    try {
      let url = options.url;
      if (options.token) {
        try {
          token = await options.token();
        } catch (error) {
          fail({ kind: "token", error }, undefined);
          throw error;
        }
        url += `${url.includes("?") ? "&" : "?"}token=${encodeURIComponent(token)}`;
      }
      // The client may have closed, or the connection being renewed died and a retry took over, meanwhile.
      if (state === "closed" || (renewal && (next || !current?.open)) || (!renewal && current)) return;
      try {
        ws = new WS(url);
      } catch (error) {
        fail({ kind: "constructor", error }, token);
        throw error;
      }
    } catch {
      if (!renewal) retry();
      return;
    } finally {
      if (!renewal) opening = false;
    }
    const conn: Conn = {
      ws,
      open: false,
      resub: undefined,
      timer: setTimeout(() => drop(conn, { kind: "timeout", afterMs: connectMs }), connectMs),
      ping: undefined,
      pong: undefined,
      error: undefined,
      token,
    };
    if (renewal) next = conn;
    else current = conn;
    const ping = () => {
      ws.send('{"action":"ping"}');
      conn.pong ??= setTimeout(() => drop(conn), pongMs);
      conn.ping = setTimeout(ping, pingMs);
    };
    ws.onopen = () => {
      conn.open = true;
      conn.ping = setTimeout(ping, pingMs);
      for (const channel of channels) ws.send(subscribeFrame(channel));
      conn.resub = new Set(channels);
      if (conn === current || !channels.size) promote(conn);
    };
    ws.onmessage = (event: { data: unknown }) => receive(conn, event.data);
    ws.onclose = (event?: { code?: number }) =>
      drop(conn, { kind: "closed", error: conn.error, code: event?.code });
    // An error is always followed by a close, which does the work; the event may say why a handshake failed.
    ws.onerror = (event: unknown) => {
      conn.error = event;
    };
  }

  function renew(): void {
    if (!next && current?.open) void open(true);
  }

  /** Makes `conn` the current connection and sends what waited for one. */
  function promote(conn: Conn): void {
    clearTimeout(conn.timer);
    conn.timer = setTimeout(renew, renewMin + random() * (renewMax - renewMin));
    if (conn !== current) {
      if (current) stop(current, 1000);
      current = conn;
      next = undefined;
    }
    conn.resub = undefined;
    attempt = 0;
    lastFailure = undefined;
    setState("open");
    for (const ack of acks.values()) sendAck(conn, ack);
    for (const { frame, waiter } of outbox.splice(0)) {
      conn.ws.send(frame);
      waiter.resolve();
    }
  }

  /** Stops a connection's timers and handlers and closes it; no event from it is processed afterwards. */
  function stop(conn: Conn, code?: number): void {
    clearTimeout(conn.timer);
    clearTimeout(conn.ping);
    clearTimeout(conn.pong);
    conn.open = false;
    conn.ws.onopen = conn.ws.onmessage = conn.ws.onclose = conn.ws.onerror = null;
    try {
      conn.ws.close(code);
    } catch {
      // Closing a socket that never opened can throw; it is abandoned either way.
    }
  }

  /**
   * A connection ended (closed, timed out, or dead): a failed attempt if it never opened; the publishes in flight
   * on it count one lost connection (past `maxResends` they reject); retry unless another connection carries on.
   */
  function drop(conn: Conn, failure?: AttemptFailure): void {
    const opened = conn.open;
    stop(conn);
    if (conn === next) next = undefined;
    else if (conn === current) current = undefined;
    else return;
    if (!opened && failure) fail(failure, conn.token);
    for (const [id, ack] of acks) {
      if (ack.sentOn !== conn) continue;
      ack.sentOn = undefined;
      if (++ack.lost <= maxResends) continue;
      acks.delete(id);
      ack.waiter.reject(
        notAcceptedError(ack.context, ack.lost, failure?.kind === "closed" ? failure.code : undefined),
      );
    }
    if (current) return;
    setState("reconnecting");
    // A renewal in progress becomes the way back; it is promoted once it has resubscribed.
    if (!next) retry();
  }

  function retry(): void {
    if (state === "closed") return;
    setState("reconnecting");
    clearTimeout(retryTimer);
    retryTimer = setTimeout(
      () => open(false),
      backoffDelay(
        attempt++,
        options.backoffBaseMs ?? DEFAULTS.backoffBaseMs,
        options.backoffCapMs ?? DEFAULTS.backoffCapMs,
        random,
      ),
    );
  }

  function receive(conn: Conn, data: unknown): void {
    clearTimeout(conn.pong);
    conn.pong = undefined;
    let frame: unknown = data;
    try {
      frame = JSON.parse(data as string);
    } catch {
      // Not JSON (or not text): passed on as it is.
    }
    emit("frame", frame);
    if (typeof frame !== "object" || frame === null) return;
    const f = frame as Record<string, unknown>;
    const channel = text(f.channel);
    const id = text(f.id);
    if (typeof f.error === "object" && f.error) {
      const e = f.error as Record<string, unknown>;
      const context = { action: text(e.action), channel: text(e.channel), id: text(e.id) };
      const error = new FanoutError(String(e.code), String(e.message), context);
      let matched = false;
      if (context.action === "subscribe" && context.channel !== undefined) {
        channels.delete(context.channel);
        confirm(conn, context.channel);
      }
      if (context.id !== undefined) {
        const ack = acks.get(context.id);
        acks.delete(context.id);
        ack?.waiter.reject(error);
        matched = !!ack;
      }
      if (
        !matched &&
        !(context.channel !== undefined && settle(`${context.action} ${context.channel}`, error))
      )
        emit("error", error);
    } else if (f.action === "subscribed" || f.action === "unsubscribed") {
      const waited = settle(`${f.action.slice(0, -1)} ${channel}`);
      if (f.action === "subscribed" && channel !== undefined) {
        confirm(conn, channel);
        // Confirmed after its subscribe timed out: undone, so that the app gets no messages it was told it would not.
        if (!waited && !channels.has(channel) && conn.open)
          conn.ws.send(JSON.stringify({ action: "unsubscribe", channel }));
      }
    } else if (f.action === "accepted" && id !== undefined) {
      acks.get(id)?.waiter.resolve();
      acks.delete(id);
    } else if ("message" in f && f.action === undefined) {
      // Ids are the publisher's: a repeat is the same id on the same channel (or among broadcasts).
      if (id !== undefined && !isNew(channel, id)) return;
      if (channel !== undefined) emit("message", { channel, message: f.message, id });
      else emit("broadcast", { message: f.message, id });
    }
  }

  /** A renewal connection confirmed (or was refused) a channel; it takes over once it has them all. */
  function confirm(conn: Conn, channel: string): void {
    if (conn.resub?.delete(channel) && !conn.resub.size && conn !== current) promote(conn);
  }

  function publish(
    body: { action: "publish" | "broadcast"; channel?: string; message: unknown },
    id?: string,
  ) {
    const context = { action: body.action, channel: body.channel, id };
    if (id !== undefined && !ID.test(id))
      return Promise.reject(new FanoutError("INVALID_ID", "id must be 1-64 of [A-Za-z0-9_-]", context));
    if (id !== undefined && acks.has(id))
      return Promise.reject(new FanoutError("DUPLICATE_ID", "id is still pending", context));
    const frame = encode({ ...body, id }, context);
    if (frame instanceof FanoutError) return Promise.reject(frame);
    if (id === undefined) {
      if (current?.open) {
        current.ws.send(frame);
        return Promise.resolve();
      }
      const queued = pending(context, (expired) => {
        const index = outbox.findIndex((entry) => entry.waiter === expired);
        if (index >= 0) outbox.splice(index, 1);
      });
      outbox.push({ frame, waiter: queued.waiter });
      return queued.promise;
    }
    const { promise, waiter } = pending(context, () => acks.delete(id));
    const ack: Ack = { frame, waiter, context: { ...context, id }, sentOn: undefined, lost: 0 };
    acks.set(id, ack);
    if (current?.open) sendAck(current, ack);
    return promise;
  }

  void open(false);

  return {
    get state() {
      return state;
    },
    channels,
    subscribe(channel) {
      const frame = encode({ action: "subscribe", channel }, { action: "subscribe", channel });
      if (frame instanceof FanoutError) return Promise.reject(frame);
      channels.add(channel);
      const done = wait("subscribe", channel);
      sendAll(frame);
      return done;
    },
    unsubscribe(channel) {
      const frame = encode({ action: "unsubscribe", channel }, { action: "unsubscribe", channel });
      if (frame instanceof FanoutError) return Promise.reject(frame);
      forget(channel);
      const done = wait("unsubscribe", channel);
      if (!sendAll(frame)) settle(`unsubscribe ${channel}`);
      return done;
    },
    publish(channel, message, { id } = {}) {
      return publish({ action: "publish", channel, message }, id);
    },
    broadcast(message, { id } = {}) {
      return publish({ action: "broadcast", message }, id);
    },
    on(event, listener) {
      const set = listeners.get(event) ?? new Set();
      listeners.set(event, set);
      set.add(listener as (value: unknown) => void);
      return () => set.delete(listener as (value: unknown) => void);
    },
    reconnect() {
      if (current?.open) renew();
      else if (!current && !opening && state !== "closed") {
        clearTimeout(retryTimer);
        void open(false);
      }
    },
    close() {
      if (state === "closed") return;
      setState("closed");
      clearTimeout(retryTimer);
      for (const conn of [current, next]) if (conn) stop(conn, 1000);
      current = next = undefined;
      const error = new FanoutError("CLOSED", "client closed");
      for (const key of [...requests.keys()]) settle(key, error);
      for (const { waiter } of [...acks.values(), ...outbox.splice(0)]) waiter.reject(error);
      acks.clear();
    },
  };
}

/** A frame's field when it is a string. */
function text(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}
