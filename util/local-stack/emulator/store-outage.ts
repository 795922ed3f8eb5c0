import { setTimeout as sleep } from "node:timers/promises";
import { type EmulatorApp, isQueryOrJsonApi, s3ErrorXml } from "./app.js";

/** Turns the emulator's S3 off and on again, or slows it down, for fault tests (SNS and SQS are left alone). */
export interface StoreOutage {
  /** While true, every S3 request is answered 503 ServiceUnavailable; nothing is read or written. */
  setDown(down: boolean): void;
  /** Holds every later S3 request this long before it is handled (0: none). */
  setDelayMs(ms: number): void;
}

/**
 * Installs the fault switches: an `onRequest` hook that, before fauxqs sees an S3 request, holds it for the delay and
 * then answers S3's own 503 ServiceUnavailable while the store is down, so that nothing is half written. The SDK
 * retries a 503 (three attempts by default) and then fails, as it does when S3 itself is unavailable.
 * @param app - the app `buildApp` returned; call before it listens
 */
export function installStoreOutage(app: EmulatorApp): StoreOutage {
  let down = false;
  let delayMs = 0;
  app.addHook("onRequest", async (request, reply) => {
    if (isQueryOrJsonApi(request)) return undefined;
    if (delayMs > 0) await sleep(delayMs);
    if (!down) return undefined;
    return reply
      .status(503)
      .header("content-type", "application/xml")
      .send(
        s3ErrorXml("ServiceUnavailable", "Service is unable to handle request (local stack: store outage)."),
      );
  });
  return {
    setDown(value) {
      down = value;
    },
    setDelayMs(ms) {
      delayMs = ms;
    },
  };
}
