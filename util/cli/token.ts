import { parseCliArgs, runCli } from "../lib/cli.js";
import { STACK_HELP, stackArgs, stackFrom } from "../lib/stack.js";
import { parseTimeout, timeoutArgs, withTimeout } from "../lib/timeout.js";
import {
  checkPatterns,
  checkSubject,
  MAX_TTL_SECONDS,
  mintToken,
  parseTtl,
  SECRET_ENV,
  secretSourceFor,
  urlWithToken,
} from "../lib/token.js";

const HELP = `Usage: util/token --sub NAME [rights] [options]

Mints a signed token (JWT, HS256, the stack's secret) for one client and prints it on stdout, or with --url the
stack's WebSocket URL carrying it (?token=...). Without rights the client may connect and receive broadcasts and
SNS messages only.

Examples:
  util/token --local --sub alice --broadcast                 # alice may broadcast
  util/token --local --sub bob --subscribe 'news/*' --url    # bob may subscribe to news/<one segment>
  wscat -c "$(util/token --local --sub carol --publish 'news/**' --ttl 15m --url)"

Rights (repeatable where a pattern is taken):
  --broadcast          may send {"action":"broadcast"} to every client
  --subscribe PATTERN  may subscribe to the channels PATTERN matches
  --publish PATTERN    may publish to the channels PATTERN matches
                       A pattern is a channel whose segment may be "*" (one segment) and whose last segment may
                       be "**" (one or more segments); "**" alone matches every channel.

Options:
  --sub NAME           who the token is for (the sub claim); required
  --ttl DURATION       lifetime: 30s, 15m, 1h, at most ${MAX_TTL_SECONDS / 3600}h (default 1h)
  --url                print the WebSocket URL with the token instead of the token alone
  --secret-file FILE   read the secret from FILE (default: $${SECRET_ENV}, then the stack's own secret)
  --timeout DURATION   give up when the outputs and the secret (Secrets Manager on AWS) are not read within it
  -h, --help           this help

${STACK_HELP}

Exit status: 0 printed, 1 failure (no stack, no secret), 2 usage error.`;

await runCli("token", async () => {
  const { values } = parseCliArgs({
    options: {
      ...stackArgs,
      sub: { type: "string" },
      broadcast: { type: "boolean" },
      subscribe: { type: "string", multiple: true },
      publish: { type: "string", multiple: true },
      ttl: { type: "string" },
      url: { type: "boolean" },
      "secret-file": { type: "string" },
      ...timeoutArgs,
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  // Every usage check before any file or Terraform is read, so a typo costs nothing.
  const sub = checkSubject(values.sub);
  const ttlSeconds = parseTtl(values.ttl ?? "1h");
  const timeoutMs = parseTimeout(values.timeout);
  const capabilities = {
    broadcast: values.broadcast === true,
    subscribe: checkPatterns("subscribe", values.subscribe),
    publish: checkPatterns("publish", values.publish),
  };
  const stack = stackFrom(values);
  const line = await withTimeout(timeoutMs, "reading the stack's secret", async () => {
    const source = await secretSourceFor(stack, values["secret-file"]);
    const token = await mintToken(await source.read(), { sub, ttlSeconds, capabilities });
    return values.url ? urlWithToken(await stack.require("ws_url"), token) : token;
  });
  process.stdout.write(`${line}\n`);
});
