// The Worker suite: test/workerd/**/*.test.ts run inside workerd (@cloudflare/vitest-pool-workers) against the
// project's fake backend and fake OAuth issuer, which globalSetup starts on loopback in Node. Two projects, as two
// deployments: one Worker with the single sign-in (OPENAI_CODEX_AUTH), and one with an account pool
// (OPENAI_CODEX_AUTH_ALICE, OPENAI_CODEX_AUTH_BOB), test/workerd/pool/.

import type { ProvidedContext } from "vitest";
import { defineConfig } from "vitest/config";
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";

type Inject = <T extends keyof ProvidedContext & string>(key: T) => ProvidedContext[T];

const common = (inject: Inject) => ({
  CHATGPT_RESPONSES_URL: `${inject("fakeUrl")}/backend-api/codex/responses`,
  CHATGPT_OAUTH_TOKEN_URL: `${inject("fakeUrl")}/oauth/token`,
  TOKEN_ENCRYPTION_KEY: inject("encryptionKey"),
  OPENAI_API_KEY: inject("clientKey"),
  LOG_LEVEL: "warn",
  UPSTREAM_RETRIES: "0",
});

const timeouts = { testTimeout: 20_000, hookTimeout: 20_000 };

export default defineConfig({
  test: {
    projects: [
      {
        plugins: [
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: "./wrangler.jsonc" },
            miniflare: {
              bindings: {
                ...common(inject),
                OPENAI_CODEX_AUTH: inject("seedAuth"),
                // Every model on the WebSocket where a Worker can use it (a client's own WebSocket,
                // responses-websocket.test.ts); chat and the other POST routes stay on HTTP.
                UPSTREAM_TRANSPORT: "websocket",
              },
            },
          })),
        ],
        test: {
          name: "workerd",
          include: ["test/workerd/*.test.ts"],
          globalSetup: ["./test/workerd/global-setup.ts"],
          ...timeouts,
        },
      },
      {
        plugins: [
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: "./wrangler.jsonc" },
            miniflare: {
              bindings: {
                ...common(inject),
                OPENAI_CODEX_AUTH_ALICE: inject("seedAuthAlice"),
                OPENAI_CODEX_AUTH_BOB: inject("seedAuthBob"),
              },
            },
          })),
        ],
        test: {
          name: "workerd-pool",
          include: ["test/workerd/pool/*.test.ts"],
          globalSetup: ["./test/workerd/global-setup.ts"],
          ...timeouts,
        },
      },
    ],
  },
});
