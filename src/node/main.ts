// `npm start` / `codex-relay serve`: run the gateway on Node.

import { existsSync } from "node:fs";
import { ConfigError } from "../config.ts";
import { startServer } from "./server.ts";
import { isLoopbackHostname } from "../http/origin-guard.ts";
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
    if (isLoopbackHostname(config.host)) {
      logger.warn(
        {},
        `OPENAI_API_KEY is not set: anyone who can reach ${url} can use this relay and your ChatGPT plan.`,
      );
    } else {
      // Reachable from the network with no key: say so where nobody can miss it, not only in the log stream.
      const lines = [
        `WARNING: codex-relay listens on ${config.host}:${new URL(url).port}, reachable from other machines, and OPENAI_API_KEY is not set.`,
        "Anyone on the network can use this relay and spend your ChatGPT plan.",
        "Set OPENAI_API_KEY (the key clients must send), or HOST=127.0.0.1 to listen on this machine only.",
      ];
      const bar = "!".repeat(Math.max(...lines.map((l) => l.length)) + 4);
      console.error([bar, ...lines.map((l) => `! ${l}`), bar].join("\n"));
      logger.warn({ host: config.host }, lines.join(" "));
    }
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
  // Logging must not stop a shutdown: with the terminal or pipe gone (the process that started us died), a write to
  // stdout can fail.
  const note = (write: () => void) => {
    try {
      write();
    } catch {
      // nowhere to report it
    }
  };
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      note(() => logger.warn({ signal }, "second signal: closing the open connections now"));
      running.closeConnections();
      return;
    }
    stopping = true;
    // Last resort, should the shutdown itself hang (it should not: every wait in it is bounded).
    // Nothing here waits on the log output: a broken stdout must not keep the process alive.
    setTimeout(() => {
      note(() => logger.error({}, "shutdown did not complete in time; exiting"));
      process.exit(1);
    }, config.shutdownTimeoutMs + 15_000).unref();
    note(() => logger.info({ signal }, "signal received"));
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
