/** What the stack's HTTP servers (the gateway and the emulator) share: binding their port, reading a bounded body. */
import type { IncomingMessage } from "node:http";
import type { AddressInfo, Server } from "node:net";

/** A port the local stack needs is taken (typically by another local stack). */
export class PortInUseError extends Error {
  override readonly name = "PortInUseError";
  constructor(
    readonly what: string,
    readonly host: string,
    readonly port: number,
    options?: ErrorOptions,
  ) {
    super(`the ${what} port ${host}:${port} is already in use (another local stack?)`, options);
  }
}

/**
 * Runs `start` (which makes `server` listen on `host:port`) and returns the port actually bound (port 0 picks a free
 * one), turning EADDRINUSE into a {@link PortInUseError}.
 */
export async function listenOn(
  server: Server,
  host: string,
  port: number,
  what: string,
  start: () => Promise<unknown>,
): Promise<number> {
  try {
    await start();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EADDRINUSE")
      throw new PortInUseError(what, host, port, { cause: error });
    throw error;
  }
  return (server.address() as AddressInfo).port;
}

/** Reads the request body, or resolves undefined (and drains the rest) once it exceeds `limit` bytes. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on("end", () => resolve(size <= limit ? Buffer.concat(chunks) : undefined));
    req.on("error", reject);
  });
}
