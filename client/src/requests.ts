/**
 * What waits for an answer from the service, and its bounds: subscribe and unsubscribe waiters, publishes and
 * broadcasts with an id until `accepted` (re-sent on each new connection, given up after `maxResends` lost ones),
 * and frames without an id made while no connection was open. Every request rejects with TIMEOUT after
 * `requestTimeoutMs` unless settled first, and is then forgotten, so that it is never sent afterwards.
 */
import type { ErrorContext, FanoutError } from "./errors.js";
import { notAcceptedError, timeoutError } from "./failures.js";

/** What a request is, for its errors. */
export type RequestContext = ErrorContext & { action: string };

interface Waiter {
  resolve(): void;
  reject(error: FanoutError): void;
}

/** A publish or broadcast with an id, until `accepted`. */
interface Ack {
  frame: string;
  waiter: Waiter;
  context: RequestContext & { id: string };
  /** The connection it was last sent on (any token the caller uses to tell connections apart). */
  sentOn: unknown;
  /** How many connections closed after it was sent on them, before it was accepted. */
  lost: number;
}

/** The requests of one client. */
export class Requests {
  /** Subscribe and unsubscribe waiters by `action channel`. */
  private readonly waiters = new Map<string, Waiter[]>();
  /** Publishes and broadcasts with an id, by id. */
  private readonly acks = new Map<string, Ack>();
  /** Frames without an id made while no connection was open. */
  private readonly outbox: Array<{ frame: string; waiter: Waiter }> = [];

  /**
   * @param timeoutMs - `requestTimeoutMs`
   * @param maxResends - `maxResends`
   * @param cannotConnect - the last failed connection attempt while no connection is open: the TIMEOUT's cause
   */
  constructor(
    private readonly timeoutMs: number,
    private readonly maxResends: number,
    private readonly cannotConnect: () => FanoutError | undefined,
  ) {}

  /**
   * Waits for the answer to a subscribe or unsubscribe.
   * @param expired - called when the last waiter for this action and channel timed out
   */
  wait(action: "subscribe" | "unsubscribe", channel: string, expired?: () => void): Promise<void> {
    const key = `${action} ${channel}`;
    const { promise, waiter } = this.pending({ action, channel }, (self) => {
      const rest = (this.waiters.get(key) ?? []).filter((w) => w !== self);
      if (rest.length) this.waiters.set(key, rest);
      else {
        this.waiters.delete(key);
        expired?.();
      }
    });
    this.waiters.set(key, [...(this.waiters.get(key) ?? []), waiter]);
    return promise;
  }

  /** Settles the waiters of an action and channel; tells whether there were any. */
  settle(action: unknown, channel: string | undefined, error?: FanoutError): boolean {
    const key = `${action} ${channel}`;
    const waiters = this.waiters.get(key);
    this.waiters.delete(key);
    for (const waiter of waiters ?? []) error ? waiter.reject(error) : waiter.resolve();
    return !!waiters;
  }

  /** Whether a publish or broadcast with this id still waits for `accepted`. */
  pendingAck(id: string): boolean {
    return this.acks.has(id);
  }

  /** Tracks a publish or broadcast with an id until `accepted`; the caller sends it (see {@link Requests.sent}). */
  expectAck(frame: string, context: RequestContext & { id: string }): Promise<void> {
    const { promise, waiter } = this.pending(context, () => this.acks.delete(context.id));
    this.acks.set(context.id, { frame, waiter, context, sentOn: undefined, lost: 0 });
    return promise;
  }

  /** The answer to a publish or broadcast with an id: `accepted`, or an error; tells whether one waited. */
  answer(id: string, error?: FanoutError): boolean {
    const ack = this.acks.get(id);
    this.acks.delete(id);
    if (ack) error ? ack.waiter.reject(error) : ack.waiter.resolve();
    return !!ack;
  }

  /** Marks the publish with this id sent on `connection`. */
  sent(id: string, connection: unknown): void {
    const ack = this.acks.get(id);
    if (ack) ack.sentOn = connection;
  }

  /** Queues a frame without an id until a connection opens; resolves once it is sent. */
  queue(frame: string, context: RequestContext): Promise<void> {
    const { promise, waiter } = this.pending(context, (self) => {
      const index = this.outbox.findIndex((entry) => entry.waiter === self);
      if (index >= 0) this.outbox.splice(index, 1);
    });
    this.outbox.push({ frame, waiter });
    return promise;
  }

  /**
   * A connection opened (or took over): sends every publish still waiting for `accepted`, then what was queued.
   * @param send - sends a frame on it
   * @param connection - the connection, recorded as where the publishes went
   */
  flush(send: (frame: string) => void, connection: unknown): void {
    for (const ack of this.acks.values()) {
      send(ack.frame);
      ack.sentOn = connection;
    }
    for (const { frame, waiter } of this.outbox.splice(0)) {
      send(frame);
      waiter.resolve();
    }
  }

  /**
   * A connection closed without the client asking: each publish in flight on it counts one lost connection, and
   * past `maxResends` it rejects with NOT_ACCEPTED instead of being sent again.
   * @param closeCode - the close code, when known (1009: a frame too large for the gateway)
   */
  lost(connection: unknown, closeCode: number | undefined): void {
    for (const [id, ack] of this.acks) {
      if (ack.sentOn !== connection) continue;
      ack.sentOn = undefined;
      if (++ack.lost <= this.maxResends) continue;
      this.acks.delete(id);
      ack.waiter.reject(notAcceptedError(ack.context, ack.lost, closeCode));
    }
  }

  /** Rejects every request with `error` (the client closed). */
  rejectAll(error: FanoutError): void {
    const waiters = [...this.waiters.values()].flat();
    for (const { waiter } of [...this.acks.values(), ...this.outbox.splice(0)]) waiters.push(waiter);
    this.waiters.clear();
    this.acks.clear();
    for (const waiter of waiters) waiter.reject(error);
  }

  /**
   * A request's promise and its settlers. Unless settled within `timeoutMs`, `forget` removes it from where it
   * waits and it rejects with TIMEOUT.
   */
  private pending(
    context: RequestContext,
    forget: (self: Waiter) => void,
  ): { promise: Promise<void>; waiter: Waiter } {
    let waiter: Waiter | undefined;
    const promise = new Promise<void>((resolve, reject) => {
      const self: Waiter = {
        resolve() {
          clearTimeout(timer);
          resolve();
        },
        reject(error) {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        forget(self);
        reject(timeoutError(context, this.timeoutMs, this.cannotConnect()));
      }, this.timeoutMs);
      waiter = self;
    });
    return { promise, waiter: waiter as Waiter };
  }
}
