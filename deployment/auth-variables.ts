// biome-ignore-all lint/suspicious/noTemplateCurlyInString: validations are Terraform expressions.
import type { IResolvable } from "cdktn";
import type { Construct } from "constructs";
import { AUTH_MODES, DEFAULT_MAX_CLIENT_MESSAGE_BYTES, MAX_MESSAGE_BYTES } from "../src/contract/index.js";
import { declareVariable, type VariableValidation } from "./variables.js";

/** The auth variables of the stack (docs/security.md); Terraform references, resolved at plan time. */
export interface AuthVariables {
  /** `token` (a signed token at `$connect`) or `open`. */
  authMode: string;
  /** An external issuer's JWKS URL; empty: the stack's own secret. */
  tokenJwksUrl: string;
  /** The external issuer's `iss`. */
  tokenIssuer: string;
  /** The external issuer's `aud`. */
  tokenAudience: string;
  /** Bump to write a new random token secret (every token signed with the old one stops working). */
  tokenSecretVersion: number;
  /** The Origin allow-list at `$connect`. */
  allowedOrigins: string[];
  /** Whether clients may broadcast and publish. */
  clientPublishing: IResolvable;
  /** The largest client broadcast or channel publish, in bytes. */
  maxClientMessageBytes: number;
  /** Reserved concurrency of the function (-1: none). */
  reservedConcurrency: number;
  /** Throttle of the publishing routes: steady rate. */
  publishThrottleRateLimit: number;
  /** Throttle of the publishing routes: burst. */
  publishThrottleBurstLimit: number;
  /** Retries of a failed asynchronous (SNS) invocation before it goes to the dead-letter queue. */
  asyncMaxRetryAttempts: number;
  /** Alarm actions (SNS topic ARNs) of the dead-letter queue's alarm. */
  dlqAlarmActions: string[];
}

/** Defaults, with their reasons in docs/security.md ("Limits on abuse"). */
export const AUTH_DEFAULTS = {
  auth_mode: "token",
  token_jwks_url: "",
  token_issuer: "",
  token_audience: "",
  token_secret_version: 1,
  allowed_origins: [] as string[],
  client_publishing: true,
  max_client_message_bytes: DEFAULT_MAX_CLIENT_MESSAGE_BYTES,
  reserved_concurrency: 100,
  publish_throttle_rate_limit: 10,
  publish_throttle_burst_limit: 20,
  async_max_retry_attempts: 2,
  dlq_alarm_actions: [] as string[],
} as const;

/**
 * Declares the auth variables, each with a default and, where a wrong value would deploy a broken or open stack,
 * a validation that fails the plan.
 * @param scope - the stack
 */
export function declareAuthVariables(scope: Construct): AuthVariables {
  const declare = (
    id: keyof typeof AUTH_DEFAULTS,
    type: string,
    description: string,
    validation?: VariableValidation,
  ) => declareVariable(scope, id, type, AUTH_DEFAULTS[id], description, validation);
  return {
    authMode: declare(
      "auth_mode",
      "string",
      'How clients connect: "token" (a signed token, default) or "open" (anyone).',
      {
        condition: `\${contains(${JSON.stringify(AUTH_MODES)}, var.auth_mode)}`,
        errorMessage: 'auth_mode must be "token" or "open".',
      },
    ).stringValue,
    tokenJwksUrl: declare(
      "token_jwks_url",
      "string",
      "An external issuer's JWKS URL (Cognito, Auth0, …); empty: tokens are signed with the stack's own secret.",
      {
        condition: '${var.token_jwks_url == "" || startswith(var.token_jwks_url, "https://")}',
        errorMessage: "token_jwks_url must be an https URL, or empty.",
      },
    ).stringValue,
    tokenIssuer: declare(
      "token_issuer",
      "string",
      "The external issuer's iss value (required with token_jwks_url).",
      {
        condition: '${var.token_jwks_url == "" || var.token_issuer != ""}',
        errorMessage: "token_issuer is required with token_jwks_url.",
      },
    ).stringValue,
    tokenAudience: declare(
      "token_audience",
      "string",
      "The external issuer's aud value (its app client id), if it sets one.",
    ).stringValue,
    tokenSecretVersion: declare(
      "token_secret_version",
      "number",
      "Bump to store a new random token secret; tokens signed with the old one stop working.",
    ).numberValue,
    allowedOrigins: declare(
      "allowed_origins",
      "list(string)",
      "Origins (https://app.example.com) whose pages may connect; empty allows every origin. Browsers only.",
      {
        condition:
          '${alltrue([for o in var.allowed_origins : can(regex("^https?://[^/]+$", o)) || o == "null"])}',
        errorMessage: "allowed_origins entries must be origins such as https://app.example.com (no path).",
      },
    ).listValue,
    clientPublishing: declare(
      "client_publishing",
      "bool",
      "Whether clients may broadcast and publish; false leaves SNS as the only publisher.",
    ).booleanValue,
    maxClientMessageBytes: declare(
      "max_client_message_bytes",
      "number",
      `Largest broadcast or channel publish a client may send, in bytes of the frame recipients get (64..${MAX_MESSAGE_BYTES}); each byte is paid once per recipient.`,
      {
        condition: `\${var.max_client_message_bytes >= 64 && var.max_client_message_bytes <= ${MAX_MESSAGE_BYTES}}`,
        errorMessage: `max_client_message_bytes must be from 64 to ${MAX_MESSAGE_BYTES}.`,
      },
    ).numberValue,
    reservedConcurrency: declare(
      "reserved_concurrency",
      "number",
      "Reserved concurrency of the function: a flood cannot take the account's other functions' share; -1 for none (accounts with a concurrency quota under 200).",
      {
        condition:
          "${var.reserved_concurrency == -1 || (var.reserved_concurrency >= 1 && var.reserved_concurrency <= 1000)}",
        errorMessage: "reserved_concurrency must be -1 (none) or from 1 to 1000.",
      },
    ).numberValue,
    publishThrottleRateLimit: declare(
      "publish_throttle_rate_limit",
      "number",
      "Client broadcasts and publishes per second on the stage (keep it below throttling_rate_limit: each fans out N times).",
      {
        condition: "${var.publish_throttle_rate_limit > 0}",
        errorMessage: "publish_throttle_rate_limit must be positive.",
      },
    ).numberValue,
    publishThrottleBurstLimit: declare(
      "publish_throttle_burst_limit",
      "number",
      "Burst of client broadcasts and publishes (keep it below throttling_burst_limit).",
      {
        condition: "${var.publish_throttle_burst_limit > 0}",
        errorMessage: "publish_throttle_burst_limit must be positive.",
      },
    ).numberValue,
    asyncMaxRetryAttempts: declare(
      "async_max_retry_attempts",
      "number",
      "Retries of a failed SNS delivery (0..2) before the event goes to the dead-letter queue.",
      {
        condition: "${var.async_max_retry_attempts >= 0 && var.async_max_retry_attempts <= 2}",
        errorMessage: "async_max_retry_attempts must be 0, 1 or 2.",
      },
    ).numberValue,
    dlqAlarmActions: declare(
      "dlq_alarm_actions",
      "list(string)",
      "SNS topic ARNs notified when an SNS delivery lands in the dead-letter queue.",
    ).listValue,
  };
}
