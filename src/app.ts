// The HTTP app, built by a factory so every runtime (Node, Workers, tests) wires the same routes to its own Relay.

import { Hono, type Context } from "hono";
import type { Relay } from "./relay.ts";
import { RelayError } from "./core/errors.ts";
import { keyVerifier, presentedKey } from "./http/api-key.ts";
import { asRelayError, renderError } from "./http/render-error.ts";
import { hostAllowed, isLoopbackHostname, originAllowed } from "./http/origin-guard.ts";
import { BodyBudget, DEFAULT_BODY_MEMORY_LIMIT } from "./http/body-budget.ts";
import { readCredentialsAhead } from "./http/credentials-ahead.ts";
import { clientAddress } from "./http/client-address.ts";
import { corsMiddleware } from "./http/cors.ts";
import { createLogLimiter } from "./core/rate-limited-log.ts";
import { chatCompletions } from "./routes/openai-chat.ts";
import { completions } from "./routes/openai-completions.ts";
import { responses, responsesWebSocket } from "./routes/openai-responses.ts";
import { getModel, listModels } from "./routes/models.ts";
import {
  accountView,
  health,
  metricsText,
  serviceInfo,
  serviceRoutes,
  statusDetails,
} from "./routes/service.ts";
import { observeRequests } from "./observe/request-hook.ts";
import { STATUS_PAGE_HTML, statusPageCsp } from "./observe/status-page.ts";
import { registerOllamaRoutes } from "./routes/ollama.ts";
import { mergeOllamaModels } from "./models/merge-ollama-models.ts";
import { anthropicModel, anthropicModels, countTokens, messages } from "./routes/anthropic-messages.ts";

const PROTECTED = ["/v1/", "/api/", "/debug/", "/metrics", "/status.json"];

export interface AppOptions {
  /**
   * The address the runtime listens on, when it has one (Node). On a loopback address the relay refuses requests
   * whose Host is not a loopback name or in ALLOWED_HOSTS (DNS rebinding).
   */
  bindHost?: string;
  /**
   * Serves GET /v1/responses with a WebSocket upgrade, after the same guards as every /v1 route, where the runtime
   * answers upgrades through the app (Workers). Without it the route answers 426 (Node serves the upgrade before
   * the app, src/node/responses-websocket.ts).
   */
  responsesWebSocket?: (c: Context) => Response;
}

export function createApp(relay: Relay, options: AppOptions = {}): Hono {
  const { config, logger } = relay;
  const app = new Hono();

  // Browsers first: a page that is not allowed gets a 403 before anything else runs, preflight included (so it
  // gets no CORS headers either), whatever the content type of what it sent.
  const checkHost = options.bindHost !== undefined && isLoopbackHostname(options.bindHost);
  const policy = { corsOrigins: config.corsOrigins };
  app.use("*", async (c, next) => {
    const host = c.req.header("host");
    if (checkHost && !hostAllowed(host, config.allowedHosts)) {
      throw new RelayError(
        403,
        `The relay listens on a loopback address and does not answer requests for the host '${host}' (a DNS-rebinding guard): use 127.0.0.1 or localhost, or add the name to ALLOWED_HOSTS.`,
        { code: "host_not_allowed" },
      );
    }
    const origin = c.req.header("origin");
    if (origin !== undefined && !originAllowed(origin, host, policy)) {
      throw new RelayError(
        403,
        `Requests from the web origin '${origin}' are not allowed: a web page may not use the relay unless its origin is listed in CORS_ORIGINS.`,
        { code: "origin_not_allowed" },
      );
    }
    return next();
  });

  app.use(
    "*",
    corsMiddleware({
      // Only allowed origins get this far (see above): echo them.
      origin: config.corsOrigins.includes("*") ? "*" : (origin) => origin,
      allowHeaders: [
        "authorization",
        "content-type",
        "x-api-key",
        "x-session-id",
        "x-reasoning-compat",
        "openai-organization",
        "openai-project",
        "anthropic-version",
        "anthropic-beta",
        "anthropic-dangerous-direct-browser-access",
        "x-claude-code-session-id",
      ],
      allowMethods: ["GET", "POST", "DELETE", "OPTIONS"],
      exposeHeaders: [
        "x-codex-primary-used-percent",
        "x-codex-secondary-used-percent",
        "x-codex-primary-reset-at",
        "x-codex-secondary-reset-at",
        "x-codex-plan-type",
        "retry-after",
        "request-id",
        "x-should-retry",
      ],
      maxAge: 600,
    }),
  );

  // Every request, whatever its route, is recorded once (request log, metrics, the per-request log line).
  app.use("*", observeRequests(relay, serviceRoutes(relay)));

  const keyMatches = config.apiKey === null ? null : keyVerifier(config.apiKey);
  /** Whether the caller may see details on the open routes: no key is set, or it sent the right one. */
  const maySee = (c: Context): boolean => {
    if (keyMatches === null) return true;
    const presented = presentedKey({ get: (n) => c.req.header(n) });
    return presented !== null && keyMatches(presented);
  };

  if (keyMatches !== null) {
    const limitLog = createLogLimiter({ burst: 10, intervalMs: 60_000 });
    app.use("*", async (c, next) => {
      if (!PROTECTED.some((p) => c.req.path.startsWith(p)) || c.req.method === "OPTIONS") return next();
      const presented = presentedKey({ get: (n) => c.req.header(n) });
      if (presented === null || !keyMatches(presented)) {
        // Who knocked and where, never what they presented (it may be a real key of another service).
        limitLog((suppressed) =>
          logger.warn(
            {
              method: c.req.method,
              path: c.req.path,
              client: clientAddress(c),
              reason: presented === null ? "missing" : "wrong",
              ...(suppressed > 0 ? { suppressedSinceLast: suppressed } : {}),
            },
            "rejected a request without a valid API key",
          ),
        );
        throw new RelayError(
          401,
          presented === null
            ? "Missing API key: send 'Authorization: Bearer <key>' or 'x-api-key: <key>' (the relay's OPENAI_API_KEY)."
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
  const budget = new BodyBudget(
    Math.max(config.bodyMemoryLimit ?? DEFAULT_BODY_MEMORY_LIMIT, config.bodyLimit),
  );
  const busy = (): never => {
    throw new RelayError(
      503,
      `The relay is holding ${Math.round(budget.limit / 2 ** 20)} MB of request bodies already (BODY_MEMORY_LIMIT); retry shortly.`,
      { code: "server_busy", headers: { "retry-after": "1" } },
    );
  };
  app.use("*", readCredentialsAhead(relay.upstream));

  // The headers decide when they can: bodyless methods, or a Content-Length without Transfer-Encoding. Reading
  // `c.req.raw.body` would make @hono/node-server build a full web Request and a web stream over the socket for
  // every request (a sixth of the relay's CPU per request in `npm run bench`); only a chunked body is read here,
  // counting its bytes. Either way the body's bytes are taken from the shared budget until the request is answered.
  app.use("*", async (c, next) => {
    const method = c.req.method;
    if (method === "GET" || method === "HEAD" || method === "OPTIONS") return next();
    let reserved = 0;
    const length = c.req.header("content-length");
    try {
      if (length !== undefined && c.req.header("transfer-encoding") === undefined) {
        const declared = Number.parseInt(length, 10) || 0;
        if (declared > config.bodyLimit) tooLarge();
        if (!budget.tryReserve(declared)) busy();
        reserved = declared;
      } else if (c.req.raw.body) {
        const chunks: Uint8Array[] = [];
        const reader = c.req.raw.body.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          if (reserved + value.length > config.bodyLimit) {
            void reader.cancel().catch(() => {});
            tooLarge();
          }
          if (!budget.tryReserve(value.length)) {
            void reader.cancel().catch(() => {});
            busy();
          }
          reserved += value.length;
          chunks.push(value);
        }
        c.req.raw = new Request(c.req.raw, { body: concat(chunks, reserved) });
      }
    } catch (err) {
      budget.release(reserved);
      throw err;
    }
    if (reserved === 0) return next();
    // Released once the answer is sent (a stream holds its request until its last byte) where the runtime says so.
    let released = false;
    const release = () => {
      if (!released) budget.release(reserved);
      released = true;
    };
    const outgoing = (c.env as { outgoing?: OutgoingLike } | undefined)?.outgoing;
    if (outgoing && typeof outgoing.once === "function" && !outgoing.destroyed) {
      outgoing.once("close", release);
      return next();
    }
    try {
      await next();
    } finally {
      release();
    }
  });

  // A browser gets the status page; API clients and curl (Accept: */*) get the service information as JSON.
  app.get("/", async (c) => {
    if (!(c.req.header("accept") ?? "").includes("text/html")) return c.json(serviceInfo(relay));
    return c.html(STATUS_PAGE_HTML, 200, {
      "content-security-policy": await statusPageCsp(),
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    });
  });
  // 200 only when a request could be served now; 503 with the same body and a reason otherwise (curl -f, Docker).
  app.get("/health", async (c) => {
    const { ok, body } = await health(relay, maySee(c));
    return c.json(body, ok ? 200 : 503, { "cache-control": "no-store" });
  });

  app.get("/status.json", async (c) =>
    c.json(await statusDetails(relay, new URL(c.req.url).origin), 200, { "cache-control": "no-store" }),
  );
  app.get("/metrics", async (c) => {
    const text = await metricsText(relay);
    if (text === null) {
      throw new RelayError(404, "This relay was built without metrics.", {
        code: "metrics_unavailable",
      });
    }
    return c.body(text.body, 200, { "content-type": text.contentType, "cache-control": "no-store" });
  });

  app.post("/v1/chat/completions", (c) => chatCompletions(c, relay));
  app.post("/v1/completions", (c) => completions(c, relay));
  app.post("/v1/responses", (c) => responses(c, relay));
  app.get("/v1/responses", (c) =>
    options.responsesWebSocket && c.req.header("upgrade")?.toLowerCase() === "websocket"
      ? options.responsesWebSocket(c)
      : responsesWebSocket(),
  );
  app.post("/v1/messages", (c) => messages(c, relay));
  app.post("/v1/messages/count_tokens", (c) => countTokens(c, relay));
  // Anthropic's SDK and Claude Code send anthropic-version on every request: those callers get Anthropic's shapes.
  app.get("/v1/models", async (c) =>
    c.req.header("anthropic-version") !== undefined
      ? anthropicModels(relay)
      : c.json(await mergeOllamaModels(relay, await listModels(relay))),
  );
  app.get("/v1/models/:id{.+}", async (c) =>
    c.req.header("anthropic-version") !== undefined
      ? anthropicModel(relay, c.req.param("id"))
      : c.json(await getModel(relay, c.req.param("id"))),
  );
  registerOllamaRoutes(app, relay);

  app.on(["GET", "POST"], "/debug/auth", async (c) => {
    const accounts = await relay.accounts.loadStates();
    return c.json({
      tokens: relay.tokens.status(),
      accounts: accounts.map(accountView),
      rate_limits: relay.rateLimits.latest,
    });
  });
  app.post("/debug/refresh", async (c) => {
    const tokens = await relay.tokens.forceRefresh();
    return c.json({ tokens, accounts: relay.accounts.states().map(accountView) });
  });

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
      { anthropicClient: c.req.header("anthropic-version") !== undefined },
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
    return renderError(c.req.path, e, { anthropicClient: c.req.header("anthropic-version") !== undefined });
  });

  return app;
}

interface OutgoingLike {
  once(event: "close", listener: () => void): unknown;
  destroyed?: boolean;
}

function concat(chunks: Uint8Array[], size: number): Uint8Array<ArrayBuffer> {
  if (chunks.length === 1) return chunks[0]! as Uint8Array<ArrayBuffer>;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
