// GET /, GET /health, POST /debug/auth, POST /debug/refresh. None of them shows a secret: token state comes from
// TokenManager.status(), which carries at most a fingerprint. With OPENAI_API_KEY set, the open routes (/ and
// /health) show a caller without the key only what a stranger may see: whether the relay is up, and why not.

import type { Relay } from "../relay.ts";
import { RELAY_VERSION } from "../upstream/codex-client.ts";
import { assessReadiness } from "../observe/readiness.ts";
import { fingerprint } from "../core/logger.ts";
import type { AccountState } from "../auth/account-pool.ts";

export function serviceInfo(relay: Relay) {
  return {
    name: "codex-relay",
    version: RELAY_VERSION,
    description: "OpenAI- and Ollama-compatible API for the Codex models of a ChatGPT plan.",
    endpoints: {
      openai: [
        "POST /v1/chat/completions",
        "POST /v1/completions",
        "POST /v1/responses",
        "GET /v1/models",
        "GET /v1/models/{id}",
      ],
      ollama: [
        "POST /api/chat",
        "POST /api/generate",
        "GET /api/tags",
        "POST /api/show",
        "GET /api/version",
        "GET /api/ps",
      ],
      anthropic: ["POST /v1/messages", "POST /v1/messages/count_tokens"],
      service: [
        "GET /",
        "GET /health",
        "GET /metrics",
        "GET /status.json",
        "POST /debug/auth",
        "POST /debug/refresh",
      ],
    },
    auth_required: relay.config.apiKey !== null,
  };
}

/** Every "METHOD /path" the relay serves ({id}: a path parameter), for the request log's route labels. */
export function serviceRoutes(relay: Relay): string[] {
  return Object.values(serviceInfo(relay).endpoints).flat().concat(["GET /debug/auth", "GET /v1/responses"]);
}

/** /health's body and whether the relay is ready. `detailed`: the caller may see the account (no key set, or it sent the key). */
export async function health(relay: Relay, detailed: boolean) {
  const accounts = await relay.accounts.loadStates();
  const tokens = relay.tokens.status();
  const upstream = relay.upstreamHealth.snapshot();
  const store = relay.storeState?.();
  const readiness = assessReadiness({
    accounts: accounts.map((a) => a.tokens),
    upstream,
    extra:
      store && !store.reachable
        ? [
            {
              reason: "token_store_unreachable",
              message: "The shared token store (Redis) is unreachable; the relay reconnects by itself.",
            },
          ]
        : [],
  });
  const verdict = {
    status: readiness.ok ? "ok" : readiness.reason!,
    ok: readiness.ok,
    reason: readiness.reason,
    message: readiness.message,
  };
  // A stranger (OPENAI_API_KEY set, no key sent) learns only whether the relay is up, and why not.
  if (!detailed) return { ok: readiness.ok, body: verdict };
  return {
    ok: readiness.ok,
    body: {
      ...verdict,
      version: RELAY_VERSION,
      uptime_seconds: Math.round((Date.now() - relay.startedAt) / 1000),
      tokens,
      ...(store
        ? {
            token_store: {
              kind: tokens.store.kind,
              reachable: store.reachable,
              since: store.since,
              last_error: store.lastError,
            },
          }
        : {}),
      accounts: accounts.map(accountView),
      rate_limits: relay.rateLimits.latest,
      upstream: {
        last_success_at: upstream.lastSuccessAt,
        last_error: upstream.lastError,
        consecutive_failures: upstream.consecutiveFailures,
      },
      models_source: relay.catalog.source,
    },
  };
}

/**
 * GET /status.json: everything the status page shows (behind the key when one is set). Never a secret: the token
 * state carries at most a fingerprint, the request log account fingerprints.
 */
export async function statusDetails(relay: Relay, baseUrl: string) {
  const { body } = await health(relay, true);
  const models = await relay.catalog.list().catch(() => []);
  return {
    ...body,
    models: models.filter((m) => m.listed).map((m) => ({ id: m.slug, efforts: m.efforts })),
    settings: {
      openai_base_url: `${baseUrl}/v1`,
      ollama_base_url: baseUrl,
      api_key_required: relay.config.apiKey !== null,
    },
    requests: relay.requests.list(),
  };
}

/** GET /metrics: Prometheus text, or null when this runtime keeps no metrics. */
export function metricsText(relay: Relay) {
  return relay.metrics.render({ usage: () => usageSamples(relay) });
}

/** The usage gauge: one series per account of the pool (its own windows), labelled with the account's fingerprint. */
export function usageSamples(relay: Pick<Relay, "accounts">) {
  const out: { account: string; window: "primary" | "secondary"; percent: number; at: string }[] = [];
  for (const a of relay.accounts.accounts) {
    const latest = a.rateLimits.latest;
    if (!latest) continue;
    const account = fingerprint(a.tokens.status().accountId) ?? "unknown";
    for (const window of ["primary", "secondary"] as const) {
      const percent = latest[window].usedPercent;
      if (percent !== null) out.push({ account, window, percent, at: latest.observedAt });
    }
  }
  return out;
}
/** One account on /health, /debug/auth, /status.json and the page: state, plan, usage, fingerprints; never a token. */
export function accountView(a: AccountState) {
  const t = a.tokens;
  return {
    key: a.key,
    state: a.state,
    parked: a.parked,
    /** The same short form as the request log's account column and the metrics' account label. */
    fingerprint: fingerprint(t.accountId),
    email: t.email,
    plan: t.planType ?? a.usage?.planType ?? null,
    account_id: t.accountId,
    access_token: t.accessTokenFingerprint,
    expires_at: t.expiresAt,
    last_refresh: t.lastRefresh,
    last_error: t.lastError,
    usage: a.usage,
    in_flight: a.inflight,
    conversations: a.conversations,
  };
}
