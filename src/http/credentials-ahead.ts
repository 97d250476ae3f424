// A turn's credentials are read when its request arrives, not after its body: the token store's read (a stat of
// auth.json through the thread pool, a Redis GET) then overlaps the upload and parsing of the body instead of
// following them, on the path to the client's first byte (~1 ms a turn on a small VM). Read after the API key
// check, so that a caller without the key makes the relay read or refresh nothing.

import type { Context, MiddlewareHandler } from "hono";
import type { Credentials } from "../auth/types.ts";
import type { CodexClient } from "../upstream/codex-client.ts";

declare module "hono" {
  interface ContextVariableMap {
    credentialsAhead: Promise<Credentials> | undefined;
  }
}

/** The routes that start a turn with a body to read first. */
const TURN_ROUTES = new Set([
  "/v1/chat/completions",
  "/v1/completions",
  "/v1/responses",
  "/v1/messages",
  "/api/chat",
  "/api/generate",
]);

export function readCredentialsAhead(upstream: CodexClient): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.method === "POST" && TURN_ROUTES.has(c.req.path)) {
      const ahead = upstream.credentialsAhead?.();
      // A request that fails before its turn never asks for them; a failed read is reported by the turn that does.
      ahead?.catch(() => {});
      c.set("credentialsAhead", ahead);
    }
    return next();
  };
}

/** For startTurn({ credentials }) / the upstream options: the read started when the request arrived, if any. */
export function credentialsAhead(c: Context): Promise<Credentials> | undefined {
  return c.get("credentialsAhead");
}
