import { readFile } from "node:fs/promises";
import { relative } from "node:path";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { buildLambdaBundle } from "../build/lambda-bundle.js";
import { AWS_HELP, awsArgs, awsClientConfig, explainAwsError } from "../lib/aws.js";
import { CliError, parseCliArgs, runCli, UsageError } from "../lib/cli.js";
import { updateFunctionCode } from "../lib/lambda-deploy.js";
import { STACK_HELP, stackArgs, stackFrom } from "../lib/stack.js";
import { parseTimeout, timeoutArgs, withTimeout } from "../lib/timeout.js";

const HELP = `Usage: util/lambda-deploy [options] [ENV]

Builds the Lambda bundle (as util/lambda-build does, into dist/) and replaces the deployed function's code with it
(Lambda UpdateFunctionCode), waits until Lambda reports the update Successful, then prints the function, its
version and the CodeSha256 of the new code. For a quick code change without \`terraform apply\`: run
\`npm run synth\` before the next apply, so that the stack folder carries the same zip (apply would otherwise put
back the code the folder holds).

ENV is the Terraform workspace (the same as --env).

Examples:
  util/lambda-deploy
  util/lambda-deploy staging --publish
  util/lambda-deploy --function-name fanout-default --region eu-west-1

Options:
  --function-name NAME  default: the stack's lambda_function_name output
  --publish             publish a numbered version of the new code
  --out-dir DIR         where to build (default: dist/ in the repository, as util/lambda-build)
  --dry-run             build, find the function, print what would be sent, and stop
  --timeout DURATION    give up when the upload and the wait for Successful take longer (default 5 min)
  -h, --help            this help

${STACK_HELP}

${AWS_HELP}

Exit status: 0 deployed, 1 failure (the cause in one line), 2 usage error.`;

await runCli("lambda-deploy", async () => {
  const { values, positionals } = parseCliArgs({
    allowPositionals: true,
    options: {
      ...stackArgs,
      ...awsArgs,
      "function-name": { type: "string" },
      publish: { type: "boolean" },
      "out-dir": { type: "string" },
      "dry-run": { type: "boolean" },
      ...timeoutArgs,
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  if (positionals.length > 1)
    throw new UsageError(`give at most one ENV (workspace), got ${positionals.join(" ")}`);
  const timeoutMs = parseTimeout(values.timeout);
  const env = positionals[0];
  if (env !== undefined && values.env !== undefined && env !== values.env) {
    throw new UsageError(`ENV ${env} and --env ${values.env} disagree: give one`);
  }
  if (values.local) {
    throw new UsageError(
      "--local: the local stack builds the bundle from the working tree when it starts: restart `npm start` instead",
    );
  }
  const stack = stackFrom({ ...values, env: env ?? values.env });
  const functionName = values["function-name"] ?? (await stack.require("lambda_function_name"));
  const config = await awsClientConfig(stack, values);
  const lambda = new LambdaClient(config);
  try {
    if (!values["dry-run"]) {
      // Fail on missing credentials before spending seconds on the build.
      await lambda.config.credentials().catch((error: unknown) => {
        throw explainAwsError(error, stack, config.endpoint);
      });
    }
    const bundle = await buildLambdaBundle({ quiet: true, outDir: values["out-dir"] });
    const zipPath = relative(process.cwd(), bundle.zipFile) || bundle.zipFile;
    process.stderr.write(
      `built ${zipPath}: ${bundle.zipBytes} bytes (bundle ${bundle.bundleBytes} bytes), sha256 ${bundle.sourceCodeHash}\n`,
    );
    if (values["dry-run"]) {
      process.stdout.write(
        `would update ${functionName} (region ${config.region ?? "from the SDK's configuration"}) ` +
          `with ${zipPath}${values.publish ? " and publish a version" : ""}\n`,
      );
      return;
    }
    process.stderr.write(`updating ${functionName} and waiting until the update is Successful\n`);
    const zip = await readFile(bundle.zipFile);
    const update = await withTimeout(timeoutMs, `the update of ${functionName}`, (abortSignal) =>
      updateFunctionCode(lambda, functionName, zip, { publish: values.publish, abortSignal }),
    ).catch((error: unknown) => {
      throw explainAwsError(error, stack, config.endpoint);
    });
    process.stdout.write(
      `updated ${functionName}: version ${update.version}, CodeSha256 ${update.codeSha256}\n`,
    );
    if (update.codeSha256 !== bundle.sourceCodeHash) {
      // Lambda hashes the zip it received: a difference means it did not get the bytes we built.
      throw new CliError(`Lambda's CodeSha256 differs from the bundle's (${bundle.sourceCodeHash})`);
    }
  } finally {
    lambda.destroy();
  }
});
