import { type EmulatorApp, s3ErrorXml } from "./emulator/app.js";

/**
 * Why a request from a web browser is refused: the one text that both the emulator (S3, SNS) and the gateway's
 * @connections API answer with, each in its own error shape. Browsers send `Origin` on every cross-site request and
 * on every request that is not a GET or HEAD, so any page a developer visits could otherwise publish to the topic or
 * write the connection store of a stack on 127.0.0.1. AWS's own endpoints answer such requests only with CORS set up
 * for them.
 */
export function browserRefusal(origin: string): string {
  return (
    `The local stack refuses requests from web pages (Origin: ${origin}): a page the browser visits must not ` +
    "publish into the stack or change its connection store. Call it from a program or the AWS CLI instead."
  );
}

/**
 * Answers every request that carries an `Origin` header with 403 AccessDenied, before fauxqs sees it.
 * @param app - the app `buildApp` returned; call before it listens
 */
export function refuseBrowserRequests(app: EmulatorApp): void {
  app.addHook("onRequest", async (request, reply) => {
    const origin = request.headers.origin;
    if (origin === undefined) return undefined;
    return reply
      .status(403)
      .header("content-type", "application/xml")
      .send(s3ErrorXml("AccessDenied", browserRefusal(String(origin))));
  });
}
