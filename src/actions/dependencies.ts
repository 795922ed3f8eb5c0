/**
 * What the use cases of client requests receive, and what they answer: their one dependencies type (the WebSocket
 * adapter builds it per event, tests pass fakes) and API Gateway's proxy result.
 */
import type { Log } from "../app/log.js";
import type { Rights } from "../contract/rights.js";
import type { Dispatch } from "../delivery/dispatch.js";
import type { FanoutOptions } from "../delivery/engine.js";
import type { Send } from "../delivery/send-policy.js";
import type { ConnectionStore } from "../stores/connections.js";
import type { HistoryStore } from "../stores/history.js";
import type { MembershipStore } from "../stores/memberships.js";

/** What API Gateway's Lambda proxy integration expects back from a WebSocket route. */
export interface RouteResult {
  /** A non-2xx status on `$connect` refuses the connection. */
  statusCode: number;
  /** Shown to nobody on WebSocket routes without a route response; kept short. */
  body?: string;
}

/** What the use case of a client request receives. */
export interface ActionDependencies {
  /**
   * The connection store, decorated by `withMembershipCleanup` (`src/stores/membership-cleanup.ts`), so that a
   * removal (a gone sender, a 410 during a fan-out) also removes the connection's memberships.
   */
  store: ConnectionStore;
  /** Sends to one connection through this event's @connections endpoint. */
  send: Send;
  /** The invocation's logger. */
  log: Log;
  /** Concurrency and timeout of fan-outs and replies. */
  fanout: Pick<FanoutOptions, "concurrency" | "sendTimeoutMs">;
  /**
   * Hands a fan-out off (`src/delivery/dispatch.ts`): small ones run in this invocation, large ones go to the shard
   * queue. The broadcast and publish use cases call it with their audience.
   */
  dispatch: Dispatch;
  /** What this connection may do; the route table checks the right each action needs before its use case runs. */
  rights: Rights;
  /** Channel memberships. */
  memberships: MembershipStore;
  /**
   * The largest frame a client's broadcast or publish may make, as its recipients receive it
   * (`MAX_CLIENT_MESSAGE_BYTES`); default the 128 KB protocol limit.
   */
  maxClientMessageBytes?: number;
  /** The channel history; undefined when the stack keeps none (`HISTORY_CHANNELS` empty). */
  history?: ChannelHistory;
}

/** The channel history of a stack: its store, and which channels keep one (`HISTORY_CHANNELS`). */
export interface ChannelHistory {
  /** The store. */
  store: HistoryStore;
  /** Whether a channel's messages are kept, with positions. */
  keeps(channel: string): boolean;
}

/**
 * The history store of a channel that keeps history, or undefined: then its messages have no position and cost what
 * they cost without history.
 * @param history - the stack's channel history, if any
 * @param channel - the channel
 */
export function historyOf(history: ChannelHistory | undefined, channel: string): HistoryStore | undefined {
  return history?.keeps(channel) ? history.store : undefined;
}
