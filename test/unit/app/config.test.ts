import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../src/app/config.js";

const SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:fanout-prod-token-AbCdEf";
const minimal = { CONNECTION_BUCKET: "fanout-connections", TOKEN_SECRET_ARN: SECRET_ARN };

describe("loadConfig", () => {
  it("applies the defaults when only the bucket and the token secret are set", () => {
    // Prepare
    const env = { ...minimal };

    // Act
    const config = loadConfig(env);

    // Assess
    expect(config).toEqual({
      connectionBucket: "fanout-connections",
      connectionPrefix: "active-connections",
      managementEndpoint: undefined,
      fanoutConcurrency: 100,
      fanoutSendTimeoutMs: 3000,
      s3ForcePathStyle: false,
      shardQueueUrl: undefined,
      fanoutShards: 16,
      fanoutInlineMax: 1000,
      fanoutShardRate: 0,
      fanoutShardBurst: 0,
      fanoutShardMaxAgeSeconds: 60,
      shardDeadLetterQueueUrl: undefined,
      connectionFlatKeys: true,
      historyChannels: [],
      auth: {
        mode: "token",
        keySource: { kind: "secret-arn", arn: SECRET_ARN },
        allowedOrigins: undefined,
        clientPublishing: true,
        maxClientMessageBytes: 32 * 1024,
        expectedApiId: undefined,
        inputTopicArn: undefined,
      },
    });
  });

  it("reads every variable, trimming trailing slashes from the prefix and the endpoint", () => {
    // Prepare
    const env = {
      ...minimal,
      CONNECTION_PREFIX: "conns/",
      MANAGEMENT_ENDPOINT: "http://127.0.0.1:4510/local/",
      FANOUT_CONCURRENCY: "256",
      FANOUT_SEND_TIMEOUT_MS: "500",
      S3_FORCE_PATH_STYLE: "TRUE",
      SHARD_QUEUE_URL: "http://127.0.0.1:4566/000000000000/fanout-shards",
      FANOUT_SHARDS: "4",
      FANOUT_INLINE_MAX: "0",
      FANOUT_SHARD_RATE: "560",
      FANOUT_SHARD_BURST: "281",
      FANOUT_SHARD_MAX_AGE_SECONDS: "0",
      SHARD_DEAD_LETTER_QUEUE_URL: "http://127.0.0.1:4566/000000000000/fanout-shards-dlq",
      CONNECTION_FLAT_KEYS: "false",
      HISTORY_CHANNELS: " news/**, */chat ,**",
      AUTH_MODE: "token",
      ALLOWED_ORIGINS: "https://app.example.com, http://localhost:5173",
      CLIENT_PUBLISHING: "false",
      MAX_CLIENT_MESSAGE_BYTES: "4096",
      EXPECTED_API_ID: "abcdef123",
      INPUT_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:fanout-prod-input",
    };

    // Act
    const config = loadConfig(env);

    // Assess
    expect(config).toEqual({
      connectionBucket: "fanout-connections",
      connectionPrefix: "conns",
      managementEndpoint: "http://127.0.0.1:4510/local",
      fanoutConcurrency: 256,
      fanoutSendTimeoutMs: 500,
      s3ForcePathStyle: true,
      shardQueueUrl: "http://127.0.0.1:4566/000000000000/fanout-shards",
      fanoutShards: 4,
      fanoutInlineMax: 0,
      fanoutShardRate: 560,
      fanoutShardBurst: 281,
      fanoutShardMaxAgeSeconds: 0,
      shardDeadLetterQueueUrl: "http://127.0.0.1:4566/000000000000/fanout-shards-dlq",
      connectionFlatKeys: false,
      historyChannels: ["news/**", "*/chat", "**"],
      auth: {
        mode: "token",
        keySource: { kind: "secret-arn", arn: SECRET_ARN },
        allowedOrigins: ["https://app.example.com", "http://localhost:5173"],
        clientPublishing: false,
        maxClientMessageBytes: 4096,
        expectedApiId: "abcdef123",
        inputTopicArn: "arn:aws:sns:us-east-1:123456789012:fanout-prod-input",
      },
    });
  });

  it("reads open mode without a key source, and an external issuer's JWKS", () => {
    // Prepare
    const open = { CONNECTION_BUCKET: "b", AUTH_MODE: "OPEN" };
    const jwks = {
      CONNECTION_BUCKET: "b",
      TOKEN_JWKS_URL: "https://cognito-idp.eu-west-1.amazonaws.com/pool/.well-known/jwks.json",
      TOKEN_ISSUER: "https://cognito-idp.eu-west-1.amazonaws.com/pool",
      TOKEN_AUDIENCE: "client-id",
    };

    // Act
    const openConfig = loadConfig(open);
    const jwksConfig = loadConfig(jwks);

    // Assess
    expect(openConfig.auth).toMatchObject({ mode: "open", keySource: undefined });
    expect(jwksConfig.auth.keySource).toEqual({
      kind: "jwks",
      url: jwks.TOKEN_JWKS_URL,
      issuer: jwks.TOKEN_ISSUER,
      audience: "client-id",
    });
  });

  it("treats empty variables as unset", () => {
    // Prepare
    const env = { ...minimal, CONNECTION_PREFIX: "", MANAGEMENT_ENDPOINT: " ", S3_FORCE_PATH_STYLE: "" };

    // Act
    const config = loadConfig(env);

    // Assess
    expect(config.connectionPrefix).toBe("active-connections");
    expect(config.managementEndpoint).toBeUndefined();
    expect(config.s3ForcePathStyle).toBe(false);
  });

  it.each([
    [{}, "CONNECTION_BUCKET", "is required"],
    [{ ...minimal, CONNECTION_PREFIX: "/" }, "CONNECTION_PREFIX", "must be a key prefix"],
    [{ ...minimal, CONNECTION_PREFIX: "/abs" }, "CONNECTION_PREFIX", "must be a key prefix"],
    [{ ...minimal, CONNECTION_PREFIX: "channel-members" }, "CONNECTION_PREFIX", "channel memberships"],
    [{ ...minimal, CONNECTION_PREFIX: "connection-channels/x/" }, "CONNECTION_PREFIX", "channel memberships"],
    [{ ...minimal, CONNECTION_PREFIX: "channel-history" }, "CONNECTION_PREFIX", "and history use them"],
    [{ ...minimal, MANAGEMENT_ENDPOINT: "abc.execute-api" }, "MANAGEMENT_ENDPOINT", "must be an http(s) URL"],
    [{ ...minimal, MANAGEMENT_ENDPOINT: "wss://abc/prod" }, "MANAGEMENT_ENDPOINT", "must use https"],
    [{ ...minimal, FANOUT_CONCURRENCY: "0" }, "FANOUT_CONCURRENCY", "from 1 to 1000"],
    [{ ...minimal, FANOUT_CONCURRENCY: "1001" }, "FANOUT_CONCURRENCY", "from 1 to 1000"],
    [{ ...minimal, FANOUT_CONCURRENCY: "12.5" }, "FANOUT_CONCURRENCY", "whole number"],
    [{ ...minimal, FANOUT_SEND_TIMEOUT_MS: "fast" }, "FANOUT_SEND_TIMEOUT_MS", "whole number"],
    [{ ...minimal, FANOUT_SEND_TIMEOUT_MS: "99" }, "FANOUT_SEND_TIMEOUT_MS", "from 100 to 60000"],
    [{ ...minimal, S3_FORCE_PATH_STYLE: "yes" }, "S3_FORCE_PATH_STYLE", '"true" or "false"'],
    [{ ...minimal, SHARD_QUEUE_URL: "fanout-shards" }, "SHARD_QUEUE_URL", "https://sqs."],
    [{ ...minimal, FANOUT_SHARDS: "0" }, "FANOUT_SHARDS", "from 1 to 256"],
    [{ ...minimal, FANOUT_SHARDS: "257" }, "FANOUT_SHARDS", "from 1 to 256"],
    [{ ...minimal, FANOUT_INLINE_MAX: "1001" }, "FANOUT_INLINE_MAX", "from 0 to 1000"],
    [{ ...minimal, FANOUT_SHARD_RATE: "-1" }, "FANOUT_SHARD_RATE", "whole number"],
    [{ ...minimal, CONNECTION_FLAT_KEYS: "no" }, "CONNECTION_FLAT_KEYS", '"true" or "false"'],
    [
      { ...minimal, HISTORY_CHANNELS: "news/*/**/x" },
      "HISTORY_CHANNELS",
      '"news/*/**/x" is not a channel pattern',
    ],
    [{ ...minimal, HISTORY_CHANNELS: "a,".repeat(51) }, "HISTORY_CHANNELS", "at most 50 patterns, got 51"],
    [
      { ...minimal, FANOUT_SHARD_MAX_AGE_SECONDS: "1209601" },
      "FANOUT_SHARD_MAX_AGE_SECONDS",
      "from 0 to 1209600",
    ],
    [{ ...minimal, SHARD_DEAD_LETTER_QUEUE_URL: "dlq" }, "SHARD_DEAD_LETTER_QUEUE_URL", "https://sqs."],
    // auth: token mode is the default and fails closed without a key source
    [{ CONNECTION_BUCKET: "b" }, "TOKEN_SECRET_ARN", 'is required when AUTH_MODE is "token"'],
    [{ ...minimal, AUTH_MODE: "anonymous" }, "AUTH_MODE", '"token" or "open"'],
    [{ ...minimal, TOKEN_SECRET_ARN: "fanout-token" }, "TOKEN_SECRET_ARN", "must be an ARN"],
    [{ ...minimal, TOKEN_SECRET: "x".repeat(32) }, "TOKEN_JWKS_URL", "give one key source"],
    [{ CONNECTION_BUCKET: "b", TOKEN_JWKS_URL: "https://issuer/jwks.json" }, "TOKEN_ISSUER", "is required"],
    [{ ...minimal, ALLOWED_ORIGINS: "https://app.example.com/path" }, "ALLOWED_ORIGINS", "is not an origin"],
    [{ ...minimal, CLIENT_PUBLISHING: "no" }, "CLIENT_PUBLISHING", '"true" or "false"'],
    [{ ...minimal, MAX_CLIENT_MESSAGE_BYTES: "131073" }, "MAX_CLIENT_MESSAGE_BYTES", "from 64 to 131072"],
    [{ ...minimal, MAX_BROADCAST_BYTES: "4096" }, "MAX_BROADCAST_BYTES", "renamed MAX_CLIENT_MESSAGE_BYTES"],
  ])("rejects %j naming %s", (env, variable, text) => {
    // Prepare: the environment above

    // Act
    const failure = (() => {
      try {
        loadConfig(env);
      } catch (error) {
        return error;
      }
    })();

    // Assess
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as ConfigError).variable).toBe(variable);
    expect((failure as ConfigError).message).toContain(variable);
    expect((failure as ConfigError).message).toContain(text);
  });

  it("keeps the URL parser's error as the cause", () => {
    // Prepare
    const env = { ...minimal, MANAGEMENT_ENDPOINT: "not a url" };

    // Act
    const failure = (() => {
      try {
        loadConfig(env);
      } catch (error) {
        return error as ConfigError;
      }
    })();

    // Assess
    expect(failure?.name).toBe("ConfigError");
    expect(failure?.cause).toBeInstanceOf(TypeError);
  });
});
