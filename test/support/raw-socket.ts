import { connect, type Socket } from "node:net";
import type { TestStack } from "./stack.js";

/** A raw client socket to the stack's gateway: what the standard clients cannot do (stall, abort mid-handshake). */
export function rawSocket(stack: TestStack): Promise<Socket> {
  const url = new URL(stack.outputs.ws_url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => resolve(socket));
    socket.once("error", reject);
  });
}

/** A WebSocket upgrade request for the stack's stage, with a token that grants every right. */
export function upgradeRequest(stack: TestStack, headers: Record<string, string> = {}): string {
  const url = new URL(stack.tokenUrl());
  const all = {
    Host: url.host,
    Upgrade: "websocket",
    Connection: "Upgrade",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Version": "13",
    ...headers,
  };
  const lines = Object.entries(all).map(([name, value]) => `${name}: ${value}\r\n`);
  return `GET ${url.pathname}${url.search} HTTP/1.1\r\n${lines.join("")}\r\n`;
}

/** Reads from a raw socket until `pattern` shows up in what it received. */
export function readUntil(socket: Socket, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    socket.on("data", (chunk: Buffer) => {
      text += chunk.toString("latin1");
      if (pattern.test(text)) resolve(text);
    });
    socket.once("error", reject);
    socket.once("close", () =>
      pattern.test(text) ? resolve(text) : reject(new Error(`closed after: ${text}`)),
    );
  });
}
