import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    // The Worker suite runs inside workerd: vitest.workers.config.ts.
    exclude: ["test/workerd/**", "**/node_modules/**"],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
