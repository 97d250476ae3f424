// CORS. Preflights (OPTIONS) are answered by Hono's cors(); every other answer gets the same headers it would set
// (Allow-Origin, Expose-Headers, Vary), but on the route's own Response, once it is returned.
// Why not Hono's cors() for everything: it sets its headers on `c.res` before the route runs, so Hono builds a
// placeholder Response first and then, when the route returns, a third one copying the route's body and headers,
// and another for `Vary` after it: 3–4 Response objects per request instead of 1 (about 8 % of the relay's CPU per
// request in `npm run bench`).

import type { Context, MiddlewareHandler } from "hono";
import { cors } from "hono/cors";

export interface CorsOptions {
  /** "*", or the origin to echo (null/undefined/"": none) for the request's Origin. */
  origin: "*" | ((origin: string) => string | null | undefined);
  allowHeaders: string[];
  allowMethods: string[];
  exposeHeaders: string[];
  maxAge: number;
}

export function corsMiddleware(options: CorsOptions): MiddlewareHandler {
  const preflight = cors(options);
  const expose = options.exposeHeaders.join(",");
  const echo = options.origin === "*" ? null : options.origin;
  return async (c, next) => {
    if (c.req.method === "OPTIONS") return preflight(c, next);
    await next();
    const allowed = echo ? echo(c.req.header("origin") ?? "") : "*";
    setHeaders(c, (headers) => {
      if (allowed) headers.set("access-control-allow-origin", allowed);
      headers.set("access-control-expose-headers", expose);
      if (echo) headers.append("vary", "Origin");
    });
  };
}

/** Sets headers on the answer in place; an answer whose headers are immutable (a fetch Response) is copied first. */
function setHeaders(c: Context, set: (headers: Headers) => void): void {
  try {
    set(c.res.headers);
  } catch (err) {
    if (!(err instanceof TypeError)) throw err;
    const copy = new Response(c.res.body, c.res);
    c.res = undefined; // so that Hono takes the copy as it is, without merging the old answer's headers into it
    c.res = copy;
    set(copy.headers);
  }
}
