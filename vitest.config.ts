import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // End-to-end and CLI tests start real servers and processes; 2-core machines are slow under load.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The SDK warns on every client that Node 20 loses support in 2027: known (Lambda runs Node 22), and it buries
    // the test output.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    coverage: {
      provider: "v8",
      include: ["src/**/*.ts"],
      reporter: ["text-summary", "text"],
      thresholds: { lines: 90, branches: 90 },
    },
  },
});
