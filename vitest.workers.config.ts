// The Worker suite: test/workerd/*.test.ts run inside workerd (@cloudflare/vitest-pool-workers) against the
// project's fake backend and fake OAuth issuer, which globalSetup starts on loopback in Node.

import { defineConfig } from "vitest/config";
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";

export default defineConfig({
  plugins: [
    cloudflareTest(({ inject }) => ({
      wrangler: { configPath: "./wrangler.jsonc" },
      miniflare: {
        bindings: {
          CHATGPT_RESPONSES_URL: `${inject("fakeUrl")}/backend-api/codex/responses`,
          CHATGPT_OAUTH_TOKEN_URL: `${inject("fakeUrl")}/oauth/token`,
          OPENAI_CODEX_AUTH: inject("seedAuth"),
          TOKEN_ENCRYPTION_KEY: inject("encryptionKey"),
          OPENAI_API_KEY: inject("clientKey"),
          LOG_LEVEL: "warn",
          UPSTREAM_RETRIES: "0",
        },
      },
    })),
  ],
  test: {
    include: ["test/workerd/**/*.test.ts"],
    globalSetup: ["./test/workerd/global-setup.ts"],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
