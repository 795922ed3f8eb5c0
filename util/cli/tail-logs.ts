import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { AWS_HELP, awsArgs, awsClientConfig, explainAwsError } from "../lib/aws.js";
import { CliError, parseCliArgs, runCli } from "../lib/cli.js";
import { formatLine, type LogLine, parseSince, tailCloudWatch, tailFiles } from "../lib/logs.js";
import { STACK_HELP, stackArgs, stackFrom } from "../lib/stack.js";
import { formatDuration, parseTimeout, timeoutArgs } from "../lib/timeout.js";

const HELP = `Usage: util/tail-logs [options]

Prints the Lambda's log and the API Gateway access log together, each line labelled with its source
([lambda], [api-gw]) and JSON lines pretty-printed. On AWS it reads both CloudWatch log groups; with --local it
reads the local stack's two log files.

Examples:
  util/tail-logs --local --follow
  util/tail-logs --since 1h
  util/tail-logs --env staging --since 2026-11-23T14:00Z --follow

Options:
  --since TIME             start from TIME: relative (30s, 10m, 1h, 2d, 1w) or an ISO date (default: 10m)
  -f, --follow             keep printing new lines until Ctrl-C
  --raw                    print each line as it is, without pretty-printing JSON
  --timeout DURATION       stop after DURATION (10s, 2m): with --follow that ends the follow (exit 0); without
                           it, a read that has not finished by then fails (exit 1)
  --lambda-log-group NAME  default: the stack's lambda_log_group output
  --api-log-group NAME     default: the stack's api_gw_log_group output
  -h, --help               this help

${STACK_HELP}

${AWS_HELP}

Exit status: 0 done (or stopped with Ctrl-C), 1 failure, 2 usage error.`;

/** CloudWatch: FilterLogEvents allows 25 requests per second per account; two groups every 2 s stays far below. */
const CLOUDWATCH_POLL_MS = 2000;
/** Local files: cheap to check, and a person watching wants lines promptly. */
const FILE_POLL_MS = 200;

await runCli("tail-logs", async () => {
  const { values } = parseCliArgs({
    options: {
      ...stackArgs,
      ...awsArgs,
      since: { type: "string", default: "10m" },
      follow: { type: "boolean", short: "f" },
      raw: { type: "boolean" },
      ...timeoutArgs,
      "lambda-log-group": { type: "string" },
      "api-log-group": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const since = parseSince(values.since, Date.now());
  const timeoutMs = parseTimeout(values.timeout);
  const stack = stackFrom(values);
  const format = { raw: values.raw, color: process.stdout.isTTY === true && !process.env.NO_COLOR };
  const follow = values.follow === true;

  const stop = new AbortController();
  process.once("SIGINT", () => stop.abort());
  process.once("SIGTERM", () => stop.abort());
  let timedOut = false;
  const deadline =
    timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          stop.abort();
        }, timeoutMs).unref();
  /** A read cut short by --timeout: the end of a follow, or a failure of a one-off read. */
  const checkTimeout = () => {
    clearTimeout(deadline);
    if (timedOut && !follow && timeoutMs !== undefined) {
      throw new CliError(`reading the logs did not finish within ${formatDuration(timeoutMs)} (--timeout)`);
    }
  };
  const print = (line: LogLine, withTime: boolean) =>
    process.stdout.write(`${formatLine(line, format, withTime)}\n`);

  if (stack.local) {
    const files = [
      {
        source: "lambda" as const,
        path: values["lambda-log-group"] ?? (await stack.require("lambda_log_file")),
      },
      {
        source: "api-gw" as const,
        path: values["api-log-group"] ?? (await stack.require("access_log_file")),
      },
    ];
    if (follow) process.stderr.write(`following ${files.map((f) => f.path).join(" and ")} (Ctrl-C stops)\n`);
    for await (const line of tailFiles(files, {
      since,
      follow,
      intervalMs: FILE_POLL_MS,
      signal: stop.signal,
    })) {
      print(line, false);
    }
    checkTimeout();
    return;
  }

  const groups = [
    {
      source: "lambda" as const,
      name: values["lambda-log-group"] ?? (await stack.require("lambda_log_group")),
    },
    { source: "api-gw" as const, name: values["api-log-group"] ?? (await stack.require("api_gw_log_group")) },
  ];
  const config = await awsClientConfig(stack, values);
  const logs = new CloudWatchLogsClient(config);
  if (follow) process.stderr.write(`following ${groups.map((g) => g.name).join(" and ")} (Ctrl-C stops)\n`);
  try {
    const tail = tailCloudWatch(logs, groups, {
      since,
      follow,
      intervalMs: CLOUDWATCH_POLL_MS,
      signal: stop.signal,
    });
    for await (const line of tail) print(line, true);
    checkTimeout();
  } catch (error) {
    if (error instanceof CliError) throw error;
    if (stop.signal.aborted) return checkTimeout();
    const explained = explainAwsError(error, stack, config.endpoint);
    if (explained instanceof Error && explained.name === "ResourceNotFoundException") {
      throw new CliError(`${explained.message}: is the stack deployed in ${config.region ?? "this region"}?`);
    }
    throw explained;
  } finally {
    logs.destroy();
  }
});
