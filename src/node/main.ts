// `npm start` / `codex-relay serve`: run the gateway on Node.

import { existsSync } from "node:fs";
import { ConfigError } from "../config.ts";
import { startServer } from "./server.ts";

export async function main(): Promise<void> {
  // A .env file in the working directory fills in variables the environment does not set.
  if (existsSync(".env")) process.loadEnvFile(".env");
  let running;
  try {
    running = await startServer();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`codex-relay: invalid configuration: ${err.message}`);
    } else {
      console.error(`codex-relay: could not start: ${err instanceof Error ? err.message : String(err)}`);
    }
    process.exit(1);
  }
  const { relay, url } = running;
  const { logger, config } = relay;
  const status = await relay.tokens.loadStatus();
  logger.info(
    { url, tokenSource: status.source, store: status.store, account: status.accountId },
    `codex-relay listening on ${url}`,
  );
  if (config.apiKey === null) {
    logger.warn(
      {},
      `OPENAI_API_KEY is not set: anyone who can reach ${url} can use this relay and your ChatGPT plan.`,
    );
  }
  if (status.source === "none") {
    logger.warn(
      {},
      "No ChatGPT credentials found: sign in with `codex login` (writes ~/.codex/auth.json) or set CHATGPT_ACCESS_TOKEN / OPENAI_CODEX_AUTH.",
    );
  }
  // Warm the model catalogue so the first request does not pay for it.
  void relay.catalog.list().catch(() => {});
  const stop = (signal: string) => {
    logger.info({ signal }, "shutting down");
    void running.close().then(() => process.exit(0));
    setTimeout(() => process.exit(0), 10_000).unref();
  };
  process.once("SIGINT", () => stop("SIGINT"));
  process.once("SIGTERM", () => stop("SIGTERM"));
}

const isEntry = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isEntry) void main();
