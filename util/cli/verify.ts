import { AWS_HELP, awsArgs } from "../lib/aws.js";
import { parseCliArgs, runCli, UsageError } from "../lib/cli.js";
import { STACK_HELP, stackArgs, stackFrom } from "../lib/stack.js";
import { formatDuration, parseTimeout, timeoutArgs } from "../lib/timeout.js";
import { SECRET_ENV } from "../lib/token.js";
import { newContext } from "../verification/context.js";
import { formatResult, runSteps, summary } from "../verification/runner.js";
import { VERIFY_STEPS } from "../verification/steps.js";
import { stackTarget } from "../verification/target.js";

/** Each step's time unless --timeout says otherwise: room for a cold start on AWS, well under a minute in all. */
const DEFAULT_STEP_TIMEOUT_MS = 10_000;

const HELP = `Usage: util/verify [options]

Proves that a stack works, end to end, in a few seconds: run it after \`terraform apply\` (or against \`npm start\`
with --local). Each step prints PASS, FAIL or SKIP with what it saw; the exit status is 0 only if none failed.

  token        mint a token from the stack's secret (skipped in open mode)
  connect      two clients, A and B, connect with it
  ping         A gets {"action":"pong"}
  refused      a connection without a token gets HTTP 401 (skipped in open mode)
  broadcast    A broadcasts; A and B receive it
  channel      A subscribes to a channel of this run; B publishes there: A receives it, B only its "accepted"
  history      B publishes twice more; a third client, C, subscribes with the position of the first publish and
               gets both, in order, then "recovered":true; a history request returns the newest three (skipped
               when the channel keeps no history)
  sns          an SNS message to everyone reaches A and B byte for byte
  sns-channel  an SNS message to the channel reaches A, and not B
  cleanup      A and B close; none of their keys is left in the connection bucket

The broadcast and sns steps reach every client connected to the stack (a small JSON object naming this run);
--channels-only leaves them out. It needs the rights of a deployer: Secrets Manager GetSecretValue on the token
secret, SNS Publish on the input topic, S3 ListBucket on the connection bucket.

Examples:
  util/verify                      # the deployed stack (terraform output in cdktf.out/stacks/fanout)
  util/verify --env staging --timeout 20s
  util/verify --local              # the local stack (npm start)

Options:
  --timeout DURATION   each step's time (default ${formatDuration(DEFAULT_STEP_TIMEOUT_MS)}); a step still running then fails
  --token TOKEN        connect with this token instead of minting one (a stack with an external issuer)
  --secret-file FILE   mint with the secret in FILE (default: $${SECRET_ENV}, then the stack's own secret)
  --channels-only      skip the two steps that send to every connected client
  -h, --help           this help

${STACK_HELP}

${AWS_HELP}

Exit status: 0 every step passed (or was skipped for the reason printed), 1 a step failed or the stack was not
found, 2 usage error.`;

await runCli("verify", async () => {
  const { values } = parseCliArgs({
    options: {
      ...stackArgs,
      ...awsArgs,
      ...timeoutArgs,
      token: { type: "string" },
      "secret-file": { type: "string" },
      "channels-only": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const timeoutMs = parseTimeout(values.timeout) ?? DEFAULT_STEP_TIMEOUT_MS;
  if (values.token !== undefined && values.token.trim() === "") throw new UsageError("--token is empty");
  const stack = stackFrom(values);
  const started = Date.now();
  const { target, release } = await stackTarget(stack, values);
  const context = newContext(target);
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(
    `verify ${target.wsUrl} (outputs from ${stack.describe()}; run ${context.run}, each step within ${formatDuration(timeoutMs)})`,
  );
  try {
    const results = await runSteps(VERIFY_STEPS, context, timeoutMs, (result) => out(formatResult(result)));
    out(summary(results, Date.now() - started));
    if (results.some((result) => result.status === "fail")) {
      out(
        `The first FAIL is the one to read; the Lambda's log and the access log of this run: ${target.logsHint}`,
      );
      process.exitCode = 1;
    }
  } finally {
    release();
  }
});
