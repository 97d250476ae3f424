// `npm start` / `codex-relay serve`: run the gateway on Node.

import { existsSync } from "node:fs";
import { ConfigError } from "../config.ts";
import { startServer } from "./server.ts";
import { flushLogs } from "./logger.ts";

/** Exits once the log is written, or after a bounded wait when the output is broken or stalled. */
async function exitAfterLogs(code: number): Promise<never> {
  await flushLogs(500);
  process.exit(code);
}

export async function main(options: { port?: number; host?: string } = {}): Promise<void> {
  // A closed terminal or pipe makes writes to stdout/stderr fail (EPIPE) with an 'error' event; unhandled, it would
  // crash the relay. The relay keeps serving without its output instead.
  process.stdout.on("error", () => {});
  process.stderr.on("error", () => {});
  // A .env file in the working directory fills in variables the environment does not set.
  if (existsSync(".env")) process.loadEnvFile(".env");
  let running;
  try {
    running = await startServer({ port: options.port, host: options.host });
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
  // An unusable auth.json was reported already (once, naming the file and the fix).
  if (status.source === "none" && !status.lastError && !status.storeError) {
    logger.warn(
      {},
      "No ChatGPT sign-in found: run `codex-relay login` (or set CHATGPT_ACCESS_TOKEN / OPENAI_CODEX_AUTH).",
    );
  }
  // Warm the model catalogue so the first request does not pay for it (without credentials there is nothing to
  // fetch, and its warning would repeat the advice above).
  if (status.source !== "none") void relay.catalog.list().catch(() => {});
  // Graceful shutdown: stop accepting, let open requests (streams) finish up to SHUTDOWN_TIMEOUT_MS, wait for a
  // token refresh in flight, exit 0. A second signal cuts the open connections at once.
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, "second signal: closing the open connections now");
      running.closeConnections();
      return;
    }
    stopping = true;
    logger.info({ signal }, "signal received");
    // Last resort, should the shutdown itself hang (it should not: every wait in it is bounded).
    // Nothing here waits on the log output: a broken stdout must not keep the process alive.
    setTimeout(() => {
      logger.error({}, "shutdown did not complete in time; exiting");
      process.exit(1);
    }, config.shutdownTimeoutMs + 15_000).unref();
    running.shutdown().then(
      () => exitAfterLogs(0),
      (err: unknown) => {
        logger.error({ err: err instanceof Error ? err.message : String(err) }, "shutdown failed");
        return exitAfterLogs(1);
      },
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

const isEntry = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isEntry) void main();
