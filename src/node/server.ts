// The Node runtime: reads the environment, picks the token store, builds the relay and serves the app with
// @hono/node-server. `startServer` is also what tests use to run a real relay on a loopback port.

import { serve, type ServerType } from "@hono/node-server";
import type { AddressInfo } from "node:net";
import { loadConfig, type Config } from "../config.ts";
import type { Logger } from "../core/logger.ts";
import type { TokenStore } from "../auth/types.ts";
import { createApp } from "../app.ts";
import { createRelay, type Relay } from "../relay.ts";
import { createFileStore, defaultAuthPath, readAuthFile } from "../auth/file-store.ts";
import { createMemoryStore } from "../auth/memory-store.ts";
import { createNodeLogger } from "./logger.ts";

export interface StartOptions {
  env?: Record<string, string | undefined>;
  logger?: Logger;
  /** Overrides HOST/PORT (tests pass port 0). */
  port?: number;
  host?: string;
  retryBaseMs?: number;
}

export interface RunningServer {
  url: string;
  relay: Relay;
  server: ServerType;
  close(): Promise<void>;
}

export async function createNodeStore(
  config: Config,
): Promise<{ store: TokenStore; seedLoader?: () => ReturnType<typeof readAuthFile> }> {
  const authPath = defaultAuthPath(config.codexHome);
  if (config.tokenStore === "file") return { store: await createFileStore(authPath) };
  if (config.tokenStore === "memory")
    return { store: createMemoryStore(), seedLoader: () => readAuthFile(authPath) };
  throw new Error(
    "TOKEN_STORE=redis is not available in this version yet; use file (the default) or memory.",
  );
}

export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const config = loadConfig(options.env ?? process.env);
  if (options.port !== undefined) config.port = options.port;
  if (options.host !== undefined) config.host = options.host;
  const logger = options.logger ?? createNodeLogger(config);
  const { store, seedLoader } = await createNodeStore(config);
  const relay = createRelay(config, { store, seedLoader, logger, retryBaseMs: options.retryBaseMs });
  const app = createApp(relay);
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: config.host, port: config.port }, () => resolve(s));
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    relay,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}
