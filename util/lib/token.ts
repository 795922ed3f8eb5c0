import { readFile } from "node:fs/promises";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SignJWT } from "jose";
import {
  isValidPattern,
  MAX_PATTERNS,
  MAX_SUBJECT_LENGTH,
  MIN_SECRET_BYTES,
  type Rights,
} from "../../src/contract/index.js";
import { CliError, UsageError } from "./cli.js";
import type { Stack } from "./stack.js";

/** The longest lifetime a minted token may have: a leaked token is good until it expires. */
export const MAX_TTL_SECONDS = 24 * 3600;

/** The lifetime of the tokens the CLIs mint for themselves (`util/connect`, `util/send-data`). */
export const AUTOMATIC_TTL_SECONDS = 15 * 60;

/** What goes into a token. */
export interface MintOptions {
  /** The `sub` claim. */
  sub: string;
  /** Lifetime in seconds, from `now`. */
  ttlSeconds: number;
  /** The `fanout` claim. */
  capabilities: Rights;
  /** The issue time (default: now). */
  now?: Date;
}

/**
 * Mints an HS256 token with the contract's claims (`sub`, `iat`, `exp`, `fanout`), as the stack's authorizer
 * verifies it. The same few lines work in any backend that holds the secret (docs/security.md).
 * @param secret - the stack's token secret (its UTF-8 bytes are the key)
 * @param options - subject, lifetime and capabilities
 */
export async function mintToken(secret: string, options: MintOptions): Promise<string> {
  const key = new TextEncoder().encode(secret);
  const iat = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const { broadcast, subscribe, publish } = options.capabilities;
  const fanout: Record<string, unknown> = {};
  // Only the rights granted, so that a token stays short and reads as what it allows.
  if (broadcast) fanout.broadcast = true;
  if (subscribe.length > 0) fanout.subscribe = [...subscribe];
  if (publish.length > 0) fanout.publish = [...publish];
  return new SignJWT({ fanout })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(options.sub)
    .setIssuedAt(iat)
    .setExpirationTime(iat + options.ttlSeconds)
    .sign(key);
}

const TTL_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/**
 * Parses a lifetime such as `30s`, `15m`, `1h` (a bare number is seconds), at most {@link MAX_TTL_SECONDS}.
 * @param text - the flag's value
 * @throws UsageError saying what is accepted
 */
export function parseTtl(text: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(text.trim());
  const seconds = match ? Number(match[1]) * (TTL_UNITS[match[2] || "s"] ?? 1) : Number.NaN;
  if (!(seconds >= 1)) {
    throw new UsageError(`--ttl must be a duration such as 30s, 15m or 1h, got "${text}"`);
  }
  if (seconds > MAX_TTL_SECONDS) {
    throw new UsageError(`--ttl is at most 24h (a leaked token is valid until it expires), got "${text}"`);
  }
  return seconds;
}

/**
 * Validates a subject for the `sub` claim.
 * @param sub - the flag's value
 * @throws UsageError when empty or too long
 */
export function checkSubject(sub: string | undefined): string {
  if (sub === undefined || sub.trim() === "")
    throw new UsageError("--sub NAME is required (who the token is for)");
  if (sub.length > MAX_SUBJECT_LENGTH) {
    throw new UsageError(`--sub is at most ${MAX_SUBJECT_LENGTH} characters, got ${sub.length}`);
  }
  return sub;
}

/**
 * Validates channel patterns given on the command line.
 * @param flag - the flag's name, for the message
 * @param patterns - the values given
 * @throws UsageError naming the first invalid pattern
 */
export function checkPatterns(flag: string, patterns: readonly string[] | undefined): string[] {
  const list = [...(patterns ?? [])];
  for (const pattern of list) {
    if (!isValidPattern(pattern)) {
      throw new UsageError(
        `--${flag} "${pattern}" is not a channel pattern: segments of A-Z a-z 0-9 _ . - separated by "/", ` +
          `"*" for one segment, a final "**" for the rest (e.g. news/*, news/**)`,
      );
    }
  }
  if (list.length > MAX_PATTERNS) throw new UsageError(`--${flag} is given at most ${MAX_PATTERNS} times`);
  return list;
}

/** Where the stack's HS256 token secret comes from. */
export interface SecretSource {
  /** Where the secret is read from, for messages (never the secret). */
  describe(): string;
  /** Reads the secret. */
  read(): Promise<string>;
}

/** The variable that passes a secret directly (a CI job, your own backend's secret). */
export const SECRET_ENV = "FANOUT_TOKEN_SECRET";

/**
 * A secret in a file: the local stack keeps its secret in its state folder (`.local/token-secret`).
 * @param path - the file
 */
function fileSecretSource(path: string): SecretSource {
  return {
    describe: () => path,
    read: async () => {
      let text: string;
      try {
        text = await readFile(path, "utf8");
      } catch (error) {
        throw new CliError(`cannot read the token secret from ${path}: ${(error as Error).message}`);
      }
      return checkSecret(text.trim(), path);
    },
  };
}

/** Reads a secret from AWS by ARN: {@link secretsManagerReader} (injectable for tests). */
export type AwsSecretReader = (arnOrName: string) => Promise<string>;

/**
 * Reads a Secrets Manager secret's string with the SDK (`GetSecretValue`), in the region its ARN names and with the
 * user's usual credentials (profile, environment, SSO). Needs `secretsmanager:GetSecretValue` on the secret.
 */
const secretsManagerReader: AwsSecretReader = async (arn) => {
  const region = arn.startsWith("arn:") ? arn.split(":")[3] : undefined;
  const client = new SecretsManagerClient(region ? { region } : {});
  try {
    const result = await client.send(new GetSecretValueCommand({ SecretId: arn }));
    if (typeof result.SecretString !== "string") {
      throw new CliError(`the token secret ${arn} has no SecretString`);
    }
    return result.SecretString;
  } catch (error) {
    if (error instanceof CliError) throw error;
    const { name, message } = error as Error;
    throw new CliError(`cannot read the token secret ${arn} from Secrets Manager: ${name}: ${message}`);
  } finally {
    client.destroy();
  }
};

/**
 * A secret held by AWS, named by a stack output.
 * @param arn - the secret's ARN (Terraform output `token_secret_arn`)
 * @param reader - how to read it
 */
function awsSecretSource(arn: string, reader: AwsSecretReader): SecretSource {
  return { describe: () => arn, read: async () => checkSecret(await reader(arn), arn) };
}

/**
 * The secret for a stack, in order: `--secret-file`, `$FANOUT_TOKEN_SECRET`, then the stack's own (the local
 * stack's `token_secret_file` output, or the AWS secret named by the `token_secret_arn` output).
 * @param stack - the stack the CLI talks to
 * @param secretFile - `--secret-file`, if given
 * @param reader - how to read an AWS secret
 */
export async function secretSourceFor(
  stack: Stack,
  secretFile: string | undefined,
  reader: AwsSecretReader = secretsManagerReader,
): Promise<SecretSource> {
  if (secretFile !== undefined) return fileSecretSource(secretFile);
  const fromEnv = process.env[SECRET_ENV];
  if (fromEnv !== undefined && fromEnv !== "") {
    return { describe: () => `$${SECRET_ENV}`, read: async () => checkSecret(fromEnv, `$${SECRET_ENV}`) };
  }
  const outputs = await stack.all();
  const file = outputs.token_secret_file;
  if (file) return fileSecretSource(file);
  const arn = outputs.token_secret_arn;
  if (arn) return awsSecretSource(arn, reader);
  throw new CliError(
    `${stack.describe()} names no token secret (outputs token_secret_file or token_secret_arn): ` +
      `the stack may be open (no tokens needed), or pass the secret with $${SECRET_ENV} or --secret-file FILE`,
  );
}

function checkSecret(secret: string, where: string): string {
  if (new TextEncoder().encode(secret).byteLength < MIN_SECRET_BYTES) {
    throw new CliError(`the token secret from ${where} is shorter than ${MIN_SECRET_BYTES} bytes`);
  }
  return secret;
}

/**
 * The WebSocket URL with the token in its query string, as browsers must carry it (they cannot set headers on a
 * WebSocket).
 * @param wsUrl - the stack's `ws_url`
 * @param token - the token
 */
export function urlWithToken(wsUrl: string, token: string): string {
  const url = new URL(wsUrl);
  url.searchParams.set("token", token);
  return url.toString();
}

/** What {@link resolveClientToken} needs besides the stack. */
export interface ClientTokenOptions {
  /** A token given on the command line (`--token`): used as is. */
  token?: string;
  /** The rights a minted token grants. */
  rights: Rights;
  /** The `sub` of a minted token (default `cli`). */
  sub?: string;
  /** How to read an AWS secret (default Secrets Manager). */
  reader?: AwsSecretReader;
}

/**
 * The token a CLI connects with: the one given, none for a stack that needs none (`auth_mode` open, or a stack
 * deployed before tokens existed, which has no `auth_mode` output), else a token minted for
 * {@link AUTOMATIC_TTL_SECONDS} from the stack's secret (`token_secret_file` locally, Secrets Manager on AWS,
 * or `$FANOUT_TOKEN_SECRET`).
 * @param stack - the stack the CLI talks to
 * @param options - a given token, the rights to mint with
 * @returns the token, or `undefined` when the stack is open
 * @throws CliError when the stack needs a token and no secret is available (an external issuer's stack)
 */
export async function resolveClientToken(
  stack: Stack,
  options: ClientTokenOptions,
): Promise<string | undefined> {
  if (options.token !== undefined && options.token !== "") return options.token;
  const outputs = await stack.all();
  if (outputs.auth_mode !== "token") return undefined;
  let source: SecretSource;
  try {
    source = await secretSourceFor(stack, undefined, options.reader);
  } catch (error) {
    throw new CliError(
      `${stack.describe()} requires a token and names no secret to mint one (an external issuer?): ` +
        `pass --token TOKEN, or the secret with $${SECRET_ENV}`,
      { cause: error },
    );
  }
  return mintToken(await source.read(), {
    sub: options.sub ?? "cli",
    ttlSeconds: AUTOMATIC_TTL_SECONDS,
    capabilities: options.rights,
  });
}

/**
 * A URL fit for a terminal or a log: its `token` parameter replaced by `…` (a token is a bearer credential).
 * @param url - a WebSocket URL, perhaps with `?token=`
 */
export function redactToken(url: string): string {
  return url.replace(/([?&]token=)[^&#]*/g, "$1…");
}
