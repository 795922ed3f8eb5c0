/**
 * The `WebSocket` the CLIs give the client library (client/): `ws` behind the platform WebSocket's surface.
 *
 * Why not Node's global WebSocket, which the library uses by default: a CLI must (1) send a message over 32 KB as
 * 32 KB fragments, API Gateway's frame limit (a bigger frame closes the connection with 1009; the global
 * WebSocket sends a message as one frame and has no fragmenting), (2) say why a handshake was refused (ws reports
 * "Unexpected server response: 500"; the global WebSocket reports a bare error event), and (3) tell binary frames
 * from text ones to print them as util/connect always has. It also reports every close code and reason, which the
 * library does not pass on.
 */

import type { SocketLike } from "@fanout/client";
import WebSocket from "ws";
import { fragments } from "../frames.js";

/** What the CLI hears from every socket the library opens, besides what the library itself handles. */
export interface SocketObserver {
  /** A socket was created (the library connects, reconnects or renews). */
  created?(socket: LibrarySocket): void;
  /** Every frame as received, before the library sees it. */
  frame?(socket: LibrarySocket, data: Buffer, isBinary: boolean): void;
  /** The socket opened. */
  open?(socket: LibrarySocket): void;
  /** An error, e.g. the handshake was refused (`Unexpected server response: 500`) or nothing listens. */
  error?(socket: LibrarySocket, error: NodeJS.ErrnoException): void;
  /** The socket closed; `byClient` when the library (or the CLI through it) asked for the close. */
  closed?(socket: LibrarySocket, code: number, reason: string, byClient: boolean): void;
}

/** One `ws` connection with the platform WebSocket's handler properties, as the client library drives it. */
export interface LibrarySocket extends SocketLike {
  /** Sends a text message as it is (the CLI's typed lines), in 32 KB fragments when bigger. */
  sendRaw(text: string): void;
  /** Drops the TCP connection without a close handshake. */
  terminate(): void;
  readonly isOpen: boolean;
}

/** Handlers typed as the library sets them. */
type Handler = ((event: unknown) => void) | null;

/**
 * A constructor for the library's `WebSocket` option that reports to `observer`.
 * @param observer - the CLI's hooks
 */
export function librarySocket(observer: SocketObserver): new (url: string) => LibrarySocket {
  return class implements LibrarySocket {
    onopen: unknown = null;
    onmessage: unknown = null;
    onclose: unknown = null;
    onerror: unknown = null;
    private readonly ws: WebSocket;
    private closeAsked = false;

    constructor(url: string) {
      this.ws = new WebSocket(url, { perMessageDeflate: false });
      this.ws.on("open", () => {
        observer.open?.(this);
        (this.onopen as Handler)?.({});
      });
      this.ws.on("message", (data: Buffer, isBinary: boolean) => {
        observer.frame?.(this, data, isBinary);
        (this.onmessage as Handler)?.({ data: data.toString("utf8") });
      });
      this.ws.on("error", (error: NodeJS.ErrnoException) => {
        observer.error?.(this, error);
        (this.onerror as Handler)?.(error);
      });
      this.ws.on("close", (code: number, reason: Buffer) => {
        observer.closed?.(this, code, reason.toString("utf8"), this.closeAsked);
        (this.onclose as Handler)?.({ code, reason: reason.toString("utf8") });
      });
      observer.created?.(this);
    }

    get isOpen(): boolean {
      return this.ws.readyState === WebSocket.OPEN;
    }

    send(data: string): void {
      this.sendRaw(data);
    }

    sendRaw(text: string): void {
      const parts = fragments(text);
      parts.forEach((part, index) => {
        this.ws.send(part, { binary: false, fin: index === parts.length - 1 });
      });
    }

    close(code?: number, reason?: string): void {
      this.closeAsked = true;
      this.ws.close(code, reason);
    }

    terminate(): void {
      this.closeAsked = true;
      this.ws.terminate();
    }
  };
}
