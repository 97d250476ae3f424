// The Cloudflare Workers entry (wrangler.jsonc `main`): the relay is built once per isolate, on its first request
// (Workers allow no I/O or randomness at start-up), and serves the same Hono app as Node.

import type { Hono } from "hono";
import { ConfigError } from "../config.ts";
import { renderError } from "../http/render-error.ts";
import type { WorkerEnv } from "./env.ts";
import { unbufferedStream } from "./unbuffered-stream.ts";
import { configurationError } from "./wire.ts";
import { createWorkerApp } from "./worker-app.ts";

export { TokenRefresher } from "./token-refresher.ts";

export interface WorkerHandler {
  fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Promise<Response>;
}

/** A handler with its own app, built on its first request (the default export is one per isolate). */
export function createWorkerHandler(): WorkerHandler {
  let app: Promise<Hono> | undefined;
  return {
    async fetch(request, env, ctx) {
      app ??= createWorkerApp(env);
      let ready: Hono;
      try {
        ready = await app;
      } catch (err) {
        // A bad variable answers every request, in the caller's dialect, with what to fix.
        const e = err instanceof ConfigError ? configurationError(err) : err;
        console.error(JSON.stringify({ level: "error", msg: e instanceof Error ? e.message : String(e) }));
        return renderError(new URL(request.url).pathname, e);
      }
      return unbufferedStream(await ready.fetch(request, env, ctx));
    },
  };
}

export default createWorkerHandler();
