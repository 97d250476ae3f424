// The HTTP app, built by a factory so every runtime (Node, Workers, tests) wires the same routes to its own Relay.

import { Hono, type Context } from "hono";
import { cors } from "hono/cors";
import { bodyLimit } from "hono/body-limit";
import type { Relay } from "./relay.ts";
import { RelayError } from "./core/errors.ts";
import { keyVerifier, presentedKey } from "./http/api-key.ts";
import { asRelayError, renderError } from "./http/render-error.ts";
import { chatCompletions } from "./routes/openai-chat.ts";
import { completions } from "./routes/openai-completions.ts";
import { responses, responsesWebSocket } from "./routes/openai-responses.ts";
import { getModel, listModels } from "./routes/models.ts";
import { health, serviceInfo } from "./routes/service.ts";
import { registerOllamaRoutes } from "./routes/ollama.ts";
import { mergeOllamaModels } from "./models/merge-ollama-models.ts";

const PROTECTED = ["/v1/", "/api/", "/debug/"];

export function createApp(relay: Relay): Hono {
  const { config, logger } = relay;
  const app = new Hono();

  app.use(
    "*",
    cors({
      origin: config.corsOrigins.includes("*") ? "*" : config.corsOrigins,
      allowHeaders: [
        "authorization",
        "content-type",
        "x-api-key",
        "x-session-id",
        "x-reasoning-compat",
        "openai-organization",
        "openai-project",
      ],
      allowMethods: ["GET", "POST", "DELETE", "OPTIONS"],
      exposeHeaders: [
        "x-codex-primary-used-percent",
        "x-codex-secondary-used-percent",
        "x-codex-primary-reset-at",
        "x-codex-secondary-reset-at",
        "x-codex-plan-type",
        "retry-after",
      ],
      maxAge: 600,
    }),
  );

  const keyMatches = config.apiKey === null ? null : keyVerifier(config.apiKey);
  /** Whether the caller may see details on the open routes: no key is set, or it sent the right one. */
  const maySee = (c: Context): boolean => {
    if (keyMatches === null) return true;
    const presented = presentedKey({ get: (n) => c.req.header(n) });
    return presented !== null && keyMatches(presented);
  };

  if (keyMatches !== null) {
    app.use("*", async (c, next) => {
      if (!PROTECTED.some((p) => c.req.path.startsWith(p)) || c.req.method === "OPTIONS") return next();
      const presented = presentedKey({ get: (n) => c.req.header(n) });
      if (presented === null || !keyMatches(presented)) {
        throw new RelayError(
          401,
          presented === null
            ? "Missing API key: send 'Authorization: Bearer <key>' (the relay's OPENAI_API_KEY)."
            : "Invalid API key.",
          {
            code: "invalid_api_key",
          },
        );
      }
      return next();
    });
  }

  // Without a client key anyone who reaches the relay could force refreshes or read the token state: /debug/* is
  // off then unless DEBUG_ROUTES=true says otherwise.
  if (config.apiKey === null && !config.debugRoutes) {
    app.use("/debug/*", async (c, next) => {
      if (c.req.method === "OPTIONS") return next();
      throw new RelayError(
        403,
        "The /debug routes are disabled because OPENAI_API_KEY is not set: set OPENAI_API_KEY (they are then served behind it) or DEBUG_ROUTES=true to serve them without a key.",
        { code: "debug_routes_disabled" },
      );
    });
  }

  const tooLarge = (): never => {
    throw new RelayError(
      413,
      `The request body is larger than the relay's limit of ${config.bodyLimit} bytes (BODY_LIMIT).`,
      { code: "request_too_large" },
    );
  };
  const limitChunkedBody = bodyLimit({ maxSize: config.bodyLimit, onError: tooLarge });
  // Hono's bodyLimit reads `c.req.raw.body`, which makes @hono/node-server build a full web Request and a web
  // stream over the socket for every request (a sixth of the relay's CPU per request in `npm run bench`).
  // The headers decide it when they can: bodyless methods, or a Content-Length without Transfer-Encoding (what
  // bodyLimit itself checks then); only a chunked body goes through bodyLimit, which counts its bytes.
  app.use("*", async (c, next) => {
    const method = c.req.method;
    if (method === "GET" || method === "HEAD") return next();
    const length = c.req.header("content-length");
    if (length !== undefined && c.req.header("transfer-encoding") === undefined) {
      if (Number.parseInt(length, 10) > config.bodyLimit) tooLarge();
      return next();
    }
    return limitChunkedBody(c, next);
  });

  if (config.verbose) {
    app.use("*", async (c, next) => {
      const start = performance.now();
      await next();
      logger.debug(
        {
          method: c.req.method,
          path: c.req.path,
          status: c.res.status,
          ms: Math.round(performance.now() - start),
        },
        "request",
      );
    });
  }

  app.get("/", (c) => c.json(serviceInfo(relay)));
  // 200 only when a request could be served now; 503 with the same body and a reason otherwise (curl -f, Docker).
  app.get("/health", async (c) => {
    const { ok, body } = await health(relay, maySee(c));
    return c.json(body, ok ? 200 : 503, { "cache-control": "no-store" });
  });

  app.post("/v1/chat/completions", (c) => chatCompletions(c, relay));
  app.post("/v1/completions", (c) => completions(c, relay));
  app.post("/v1/responses", (c) => responses(c, relay));
  app.get("/v1/responses", () => responsesWebSocket());
  app.get("/v1/models", async (c) => c.json(await mergeOllamaModels(relay, await listModels(relay))));
  app.get("/v1/models/:id{.+}", async (c) => c.json(await getModel(relay, c.req.param("id"))));
  registerOllamaRoutes(app, relay);

  app.on(["GET", "POST"], "/debug/auth", async (c) =>
    c.json({ tokens: await relay.tokens.loadStatus(), rate_limits: relay.rateLimits.latest }),
  );
  app.post("/debug/refresh", async (c) => c.json({ tokens: await relay.tokens.forceRefresh() }));

  app.notFound((c) => {
    const path = c.req.path;
    const unsupported =
      /^\/v1\/(embeddings|images|audio|files|fine_tuning|fine-tunes|moderations|batches|uploads|vector_stores|assistants|threads|realtime)/.test(
        path,
      );
    const message = unsupported
      ? `codex-relay does not serve ${path}: the ChatGPT Codex backend offers chat models only.`
      : `Unknown route: ${c.req.method} ${path}.`;
    return renderError(
      path,
      new RelayError(404, message, { code: unsupported ? "unsupported_endpoint" : "not_found" }),
    );
  });

  app.onError((err, c) => {
    const e = asRelayError(err);
    if (e.status >= 500 && !(err instanceof RelayError)) {
      logger.error(
        { err: err instanceof Error ? err.message : String(err), path: c.req.path },
        "unhandled error",
      );
    }
    return renderError(c.req.path, e);
  });

  return app;
}
