import { LAMBDA_HANDLER, LAMBDA_RUNTIME } from "../../../src/contract/index.js";

/** The function as Lambda knows it: what its runtime environment is made from. */
interface FunctionIdentity {
  functionName: string;
  memoryMb: number;
  region: string;
  /** `LAMBDA_TASK_ROOT`: the folder of the bundle. */
  taskRoot: string;
  /** `LAMBDA_RUNTIME_DIR`: the folder of the execution environment script. */
  runtimeDir: string;
  /** The execution role's credentials, as Lambda passes them in the environment. */
  credentials: { accessKeyId: string; secretAccessKey: string };
}

/**
 * The environment Lambda gives every Node.js function, with local values; nothing is inherited from this shell but
 * PATH.
 */
export function lambdaBaseEnv(fn: FunctionIdentity): Record<string, string> {
  const day = new Date().toISOString().slice(0, 10).replaceAll("-", "/");
  return {
    PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    LANG: "en_US.UTF-8",
    TZ: ":UTC",
    // As deployed: readable stack traces from the minified bundle.
    NODE_OPTIONS: "--enable-source-maps",
    LAMBDA_TASK_ROOT: fn.taskRoot,
    LAMBDA_RUNTIME_DIR: fn.runtimeDir,
    _HANDLER: LAMBDA_HANDLER,
    AWS_EXECUTION_ENV: `AWS_Lambda_${LAMBDA_RUNTIME}`,
    AWS_LAMBDA_FUNCTION_NAME: fn.functionName,
    AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
    AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.functionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: `${day}/[$LATEST]local`,
    AWS_REGION: fn.region,
    AWS_DEFAULT_REGION: fn.region,
    AWS_ACCESS_KEY_ID: fn.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: fn.credentials.secretAccessKey,
    // Lambda has no ~/.aws: the user's profiles (regions, endpoints, credentials) must not leak into the function.
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
  };
}
