/**
 * The one place where the local stack reaches into `ws` internals (ws 8.23, pinned). Each patch has a check that
 * fails the start when the internals it relies on are gone, and a test (test/faults/ws-patches.test.ts) that fails
 * once upstream no longer needs it. Everything else in the gateway uses ws's public surface.
 */
import type { Duplex } from "node:stream";
import type { WebSocket } from "ws";
import * as wsModule from "ws";

interface WsReceiver {
  _payloadLength: number;
  _opcode: number;
  haveLength(cb: (error?: Error) => void): void;
  createError(ctor: ErrorConstructor, message: string, prefix: boolean, status: number, code: string): Error;
}

/** Fails at start-up, not at the first connection, when the ws internals that {@link limitFrameSize} uses are gone. */
export function assertWsPatches(): void {
  // ws's ESM entry exports its Receiver class; @types/ws does not declare it.
  const proto = (wsModule as unknown as { Receiver?: { prototype: Partial<WsReceiver> } }).Receiver
    ?.prototype;
  if (typeof proto?.haveLength !== "function" || typeof proto.createError !== "function") {
    throw new Error(
      "ws internals changed (Receiver.haveLength): cannot enforce API Gateway's 32 KB frame limit",
    );
  }
}

/**
 * Patch 1. API Gateway limits each frame to 32 KB (closing with 1009) but accepts messages of up to 128 KB in several
 * frames. ws only bounds the whole message (`maxPayload`), so the frame check is added to this socket's receiver at
 * the point where ws reads a frame's length. Upstream: ws has no per-frame limit option.
 */
export function limitFrameSize(socket: WebSocket, maxFrameBytes: number): void {
  const receiver = (socket as unknown as { _receiver: WsReceiver })._receiver;
  const haveLength = receiver.haveLength;
  receiver.haveLength = function (this: WsReceiver, cb) {
    if (this._opcode < 0x08 && this._payloadLength > maxFrameBytes) {
      cb(
        this.createError(
          RangeError,
          "Max frame size exceeded",
          false,
          1009,
          "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH",
        ),
      );
      return;
    }
    haveLength.call(this, cb);
  };
}

/**
 * Work-around 2 (public surface only). `WebSocketServer.handleUpgrade` destroys a socket that is no longer both
 * readable and writable (a client that sent FIN or RST while `$connect` ran) without calling back
 * (`websocket-server.js`, `completeUpgrade`): the caller never learns that the connection it accepted is gone.
 * The gateway asks this first and ends such a connection itself (with its `$disconnect`).
 */
export function wsWouldDropSilently(socket: Duplex): boolean {
  return socket.destroyed || !socket.readable || !socket.writable;
}
