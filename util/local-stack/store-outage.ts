import { type EmulatorApp, isQueryOrJsonApi, s3ErrorXml } from "./emulator-app.js";

/** Turns the emulator's S3 off and on again, for fault tests (SNS and SQS keep answering). */
export interface StoreOutage {
  /** While true, every S3 request is answered 503 ServiceUnavailable; nothing is read or written. */
  setDown(down: boolean): void;
}

/**
 * Installs the outage switch: an `onRequest` hook that answers S3 requests with S3's own 503 ServiceUnavailable
 * while the store is down, before fauxqs sees them, so that nothing is half written. The SDK retries a 503 (three
 * attempts by default) and then fails, as it does when S3 itself is unavailable.
 * @param app - the app `buildApp` returned; call before it listens
 */
export function installStoreOutage(app: EmulatorApp): StoreOutage {
  let down = false;
  app.addHook("onRequest", async (request, reply) => {
    if (!down || isQueryOrJsonApi(request)) return undefined;
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
  };
}
