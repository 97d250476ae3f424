import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    // The Worker suite runs inside workerd: vitest.workers.config.ts.
    exclude: ["test/workerd/**", "**/node_modules/**"],
    // An empty CODEX_RELAY_HOME / CODEX_HOME per test file: no test reads or writes the developer's own.
    setupFiles: ["test/helpers/private-homes.ts"],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
