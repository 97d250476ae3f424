// GET /, GET /health, POST /debug/auth, POST /debug/refresh. None of them shows a secret: token state comes from
// TokenManager.status(), which carries at most a fingerprint.

import type { Relay } from "../relay.ts";
import { RELAY_VERSION } from "../upstream/codex-client.ts";

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
      service: ["GET /health", "POST /debug/auth", "POST /debug/refresh"],
    },
    auth_required: relay.config.apiKey !== null,
  };
}

export async function health(relay: Relay) {
  const tokens = await relay.tokens.loadStatus();
  const needsSignIn = tokens.lastError?.needsSignIn === true || tokens.source === "none";
  return {
    status: needsSignIn ? "sign_in_required" : "ok",
    version: RELAY_VERSION,
    uptime_seconds: Math.round((Date.now() - relay.startedAt) / 1000),
    tokens,
    rate_limits: relay.rateLimits.latest,
    models_source: relay.catalog.source,
  };
}
