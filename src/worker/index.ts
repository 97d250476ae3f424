// The Cloudflare Workers entry (wrangler.jsonc `main`): the relay is built once per isolate, on its first request
// (Workers allow no I/O or randomness at start-up), and serves the same Hono app as Node.

import { ConfigError } from "../config.ts";
import { DEFAULT_ACCOUNT_KEY } from "../auth/types.ts";
import { renderError } from "../http/render-error.ts";
import type { WorkerEnv } from "./env.ts";
import { ChallengeSharing } from "./shared-challenge.ts";
import { unbufferedStream } from "./unbuffered-stream.ts";
import { configurationError } from "./wire.ts";
import { createWorkerApp, type WorkerApp } from "./worker-app.ts";

export { TokenRefresher } from "./token-refresher.ts";

export interface WorkerHandler {
  fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Promise<Response>;
}

/** A handler with its own app, built on its first request (the default export is one per isolate). */
export function createWorkerHandler(): WorkerHandler {
  let built: Promise<WorkerApp> | undefined;
  const challenges = new ChallengeSharing();
  return {
    async fetch(request, env, ctx) {
      built ??= createWorkerApp(env);
      let worker: WorkerApp;
      try {
        worker = await built;
      } catch (err) {
        // A bad variable answers every request, in the caller's dialect, with what to fix.
        const e = err instanceof ConfigError ? configurationError(err) : err;
        console.error(JSON.stringify({ level: "error", msg: e instanceof Error ? e.message : String(e) }));
        return renderError(new URL(request.url).pathname, e);
      }
      const { app, relay } = worker;
      const board = () => env.TOKEN_REFRESHER.get(env.TOKEN_REFRESHER.idFromName(DEFAULT_ACCOUNT_KEY));
      if (request.method === "GET" && new URL(request.url).pathname === "/health") {
        await challenges.adopt(relay, board()).catch((err: unknown) => {
          relay.logger.warn(
            { err: err instanceof Error ? err.message : String(err) },
            "could not read the shared challenge",
          );
        });
      }
      const res = unbufferedStream(await app.fetch(request, env, ctx));
      // Parkings this request made and usage it learned, and a fresh view of the others' when due
      // (shared-parkings.ts, shared-usage.ts).
      for (const shared of [worker.parkings, worker.usage]) {
        const work = shared?.afterResponse(env.KV, relay.accounts);
        if (work) ctx.waitUntil(work.catch(() => {}));
      }
      const news = challenges.toShare(relay);
      if (news)
        ctx.waitUntil(
          board()
            .noteChallenge(news)
            .catch(() => {}),
        );
      return res;
    },
  };
}

export default createWorkerHandler();
