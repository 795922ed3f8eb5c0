import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";

const minimal = { CONNECTION_BUCKET: "fanout-connections" };

describe("loadConfig", () => {
  it("applies the defaults when only the bucket is set", () => {
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
    [{ ...minimal, MANAGEMENT_ENDPOINT: "abc.execute-api" }, "MANAGEMENT_ENDPOINT", "must be an http(s) URL"],
    [{ ...minimal, MANAGEMENT_ENDPOINT: "wss://abc/prod" }, "MANAGEMENT_ENDPOINT", "must use https"],
    [{ ...minimal, FANOUT_CONCURRENCY: "0" }, "FANOUT_CONCURRENCY", "from 1 to 1000"],
    [{ ...minimal, FANOUT_CONCURRENCY: "1001" }, "FANOUT_CONCURRENCY", "from 1 to 1000"],
    [{ ...minimal, FANOUT_CONCURRENCY: "12.5" }, "FANOUT_CONCURRENCY", "whole number"],
    [{ ...minimal, FANOUT_SEND_TIMEOUT_MS: "fast" }, "FANOUT_SEND_TIMEOUT_MS", "whole number"],
    [{ ...minimal, FANOUT_SEND_TIMEOUT_MS: "99" }, "FANOUT_SEND_TIMEOUT_MS", "from 100 to 60000"],
    [{ ...minimal, S3_FORCE_PATH_STYLE: "yes" }, "S3_FORCE_PATH_STYLE", '"true" or "false"'],
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
