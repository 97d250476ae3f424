// Configuration from environment variables (SPEC §7). Runtime-agnostic: callers pass the variables (process.env on
// Node, the Worker's env on Workers). Invalid values throw a ConfigError naming the variable and what it accepts.

import type { ReasoningEffort, ReasoningSummary } from "./responses/types.ts";

export const REASONING_EFFORTS = ["none", "minimal", "low", "medium", "high", "xhigh"] as const;
export const REASONING_SUMMARIES = ["auto", "concise", "detailed", "none"] as const;
export const REASONING_COMPATS = ["think-tags", "reasoning_content", "o3", "legacy", "hidden"] as const;
export type ReasoningCompat = (typeof REASONING_COMPATS)[number];

export const DEFAULT_RESPONSES_URL = "https://chatgpt.com/backend-api/codex/responses";
export const DEFAULT_OAUTH_ISSUER = "https://auth.openai.com";
export const DEFAULT_OAUTH_TOKEN_URL = `${DEFAULT_OAUTH_ISSUER}/oauth/token`;
export const DEFAULT_CLIENT_ID = "app_EMoamEEZ73f0CkXaXp7hrann";
/** The Codex CLI version the relay presents itself as (catalogue `client_version`, User-Agent). */
export const CODEX_CLIENT_VERSION = "0.169.0";

export interface Config {
  host: string;
  port: number;
  /** The relay's own client key (OPENAI_API_KEY); null: routes are open. */
  apiKey: string | null;
  chatgptAccessToken: string | null;
  chatgptAccountId: string | null;
  /** JSON content of an auth.json (OPENAI_CODEX_AUTH). */
  codexAuthJson: string | null;
  clientId: string;
  responsesUrl: string;
  /** Derived from responsesUrl: the sibling `/models` endpoint. */
  modelsUrl: string;
  /** The OAuth issuer's base URL (CHATGPT_OAUTH_ISSUER): authorize, device-code and revoke paths hang off it. */
  oauthIssuer: string;
  /** CHATGPT_OAUTH_TOKEN_URL, else `<issuer>/oauth/token`. */
  oauthTokenUrl: string;
  /** The backend's usage endpoint (CHATGPT_USAGE_URL), by default derived from the backend's origin. */
  usageUrl: string;
  codexHome: string | null;
  /** The relay's own folder (CODEX_RELAY_HOME); null: `~/.codex-relay` (resolved by the Node runtime). */
  relayHome: string | null;
  tokenStore: "file" | "memory" | "redis";
  redisUrl: string | null;
  /** TOKEN_ENCRYPTION_KEY as given (base64); auth/token-encryption.ts checks and imports it. */
  tokenEncryptionKey: string | null;
  ollamaApiUrl: string | null;
  reasoningEffort: ReasoningEffort;
  reasoningSummary: ReasoningSummary;
  reasoningCompat: ReasoningCompat;
  debugModel: string | null;
  verbose: boolean;
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  /** LOG_FORMAT; null: pretty on a terminal, JSON lines otherwise. */
  logFormat: "pretty" | "json" | null;
  /** Web origins allowed besides loopback pages and the relay's own (CORS_ORIGINS); "*" allows every origin. */
  corsOrigins: string[];
  /** Host names accepted on a loopback bind besides loopback ones (ALLOWED_HOSTS); "*" accepts any. */
  allowedHosts: string[];
  upstreamIdleTimeoutMs: number;
  /** Maximum request body, bytes. */
  bodyLimit: number;
  /**
   * Bytes all in-flight request bodies may hold together (BODY_MEMORY_LIMIT); beyond it new bodies get 503. Null:
   * the runtime decides (Node: an eighth of the JS heap limit).
   */
  bodyMemoryLimit: number | null;
  /** Open client connections the Node server accepts (MAX_CONNECTIONS); more are answered 503 and closed. */
  maxConnections: number;
  /** A client that takes none of the bytes sent to it for this long is disconnected (SEND_TIMEOUT_MS). */
  sendTimeoutMs: number;
  /** At most one forced refresh (POST /debug/refresh) per this interval (DEBUG_REFRESH_MIN_MS). */
  debugRefreshIntervalMs: number;
  /** alias → model name (the target may carry an effort suffix). */
  modelAliases: Record<string, string>;
  /** Our short default base instructions, used when the catalogue has none for a model. */
  codexInstructions: string;
  /** Where base instructions go: a leading developer message (like the current CLI) or the `instructions` field. */
  instructionsMode: "developer" | "instructions";
  originator: string;
  /** Retries of a request that failed before its first byte (5xx, network). */
  upstreamRetries: number;
  /**
   * Serve /debug/* without OPENAI_API_KEY (DEBUG_ROUTES). With a key they are always served (behind the key);
   * without one they answer 403 unless this is set.
   */
  debugRoutes: boolean;
  /**
   * How turns reach the backend (UPSTREAM_TRANSPORT): "auto" uses the WebSocket for models whose catalogue entry
   * prefers it, "websocket" for every model, "http" never. The WebSocket falls back to HTTP as the Codex CLI does.
   */
  upstreamTransport: "auto" | "websocket" | "http";
  /** The backend's Responses WebSocket: responsesUrl with ws(s)://. */
  responsesWebSocketUrl: string;
  /** Open WebSocket connections to the backend at most (UPSTREAM_WS_POOL), one per conversation. */
  upstreamWsMaxConnections: number;
  /** HTTP request bodies to the backend: "zstd" (as the Codex CLI signed in with ChatGPT) or "none". */
  upstreamRequestCompression: "zstd" | "none";
  /** An idle WebSocket connection to the backend is closed after this long (UPSTREAM_WS_IDLE_MS). */
  upstreamWsIdleMs: number;
  /** On SIGTERM/SIGINT, how long open requests may run before their connections are closed (SHUTDOWN_TIMEOUT_MS). */
  shutdownTimeoutMs: number;
  /** Claude model names or families (opus, sonnet, haiku) → model names (ANTHROPIC_MODEL_MAP); see anthropic/model-map.ts. */
  anthropicModelMap: Record<string, string>;
  /** Key of the thinking-block signatures (ANTHROPIC_SIGNING_KEY); see anthropic/thinking-signature.ts. */
  anthropicSigningKey: string | null;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = "ConfigError";
  }
}

export const DEFAULT_INSTRUCTIONS =
  "You are a helpful assistant reached through codex-relay. Answer the user's request directly and accurately. " +
  "Follow the developer and user messages that come next; when they ask for a format, use it exactly.";

type Env = Record<string, string | undefined>;

function str(env: Env, name: string): string | null {
  const v = env[name];
  if (v === undefined) return null;
  const t = v.trim();
  return t === "" ? null : t;
}

function oneOf<T extends string>(
  env: Env,
  name: string,
  allowed: readonly T[],
  fallback: T,
  aliases: Record<string, T> = {},
): T {
  const raw = str(env, name);
  if (raw === null) return fallback;
  const v = raw.toLowerCase();
  if (v in aliases) return aliases[v] as T;
  if ((allowed as readonly string[]).includes(v)) return v as T;
  throw new ConfigError(name, `"${raw}" is not allowed; use one of ${allowed.join(", ")}`);
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = str(env, name);
  if (raw === null) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `"${raw}" is not a whole number`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(name, `${n} is out of range (${min} to ${max})`);
  return n;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = str(env, name);
  if (raw === null) return fallback;
  const v = raw.toLowerCase();
  if (["1", "true", "yes", "on"].includes(v)) return true;
  if (["0", "false", "no", "off"].includes(v)) return false;
  throw new ConfigError(name, `"${raw}" is not a boolean; use true or false`);
}

function url(env: Env, name: string, fallback: string | null): string | null {
  const raw = str(env, name);
  if (raw === null) return fallback;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, `"${raw}" is not a URL`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new ConfigError(name, `"${raw}" must be an http(s) URL`);
  }
  return raw.replace(/\/+$/, "");
}

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  kb: 1024,
  k: 1024,
  mb: 1024 ** 2,
  m: 1024 ** 2,
  gb: 1024 ** 3,
  g: 1024 ** 3,
};

function size(env: Env, name: string, fallback: number): number {
  const raw = str(env, name);
  if (raw === null) return fallback;
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(raw);
  const unit = m ? SIZE_UNITS[(m[2] ?? "").toLowerCase()] : undefined;
  if (!m || unit === undefined)
    throw new ConfigError(name, `"${raw}" is not a size; use bytes or a unit such as 50mb`);
  const n = Math.floor(Number(m[1]) * unit);
  if (n < 1024) throw new ConfigError(name, `${raw} is too small (at least 1kb)`);
  return n;
}

function aliases(env: Env, name: string): Record<string, string> {
  const raw = str(env, name);
  if (raw === null) return {};
  if (raw.startsWith("{")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new ConfigError(name, 'is not valid JSON; use {"alias":"model"} or alias=model,alias2=model2');
    }
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
      if (typeof v !== "string" || !v)
        throw new ConfigError(name, `the target of "${k}" must be a model name`);
      out[k] = v;
    }
    return out;
  }
  const out: Record<string, string> = {};
  for (const pair of raw.split(",")) {
    const [k, v] = pair.split("=").map((s) => s.trim());
    if (!k || !v) throw new ConfigError(name, `"${pair}" is not alias=model`);
    out[k] = v;
  }
  return out;
}

/**
 * The usage endpoint the Codex CLI reads (`codex-rs/backend-client`): `<base>/wham/usage` when the backend base
 * is under `/backend-api`, else `<base>/api/codex/usage`.
 */
export function usageUrlFor(responsesUrl: string): string {
  const u = new URL(responsesUrl);
  const at = u.pathname.indexOf("/backend-api");
  if (at >= 0) return `${u.origin}${u.pathname.slice(0, at)}/backend-api/wham/usage`;
  return `${u.origin}/api/codex/usage`;
}

function list(env: Env, name: string): string[] {
  return (str(env, name) ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The catalogue endpoint that sits beside the responses endpoint. */
export function modelsUrlFor(responsesUrl: string): string {
  return responsesUrl.replace(/\/responses$/, "") + "/models";
}

/** The Responses WebSocket URL: the same URL with ws(s)://. */
export function webSocketUrlFor(responsesUrl: string): string {
  return responsesUrl.replace(/^http(s?):/i, "ws$1:");
}

export function loadConfig(env: Env): Config {
  const responsesUrl = url(env, "CHATGPT_RESPONSES_URL", DEFAULT_RESPONSES_URL)!;
  const oauthIssuer = url(env, "CHATGPT_OAUTH_ISSUER", DEFAULT_OAUTH_ISSUER)!;
  const codexAuthJson = str(env, "OPENAI_CODEX_AUTH");
  if (codexAuthJson !== null) {
    try {
      const doc = JSON.parse(codexAuthJson) as {
        tokens?: { refresh_token?: unknown; access_token?: unknown };
      };
      if (!doc?.tokens || typeof doc.tokens.access_token !== "string") throw new Error("no tokens");
    } catch {
      throw new ConfigError("OPENAI_CODEX_AUTH", 'must be the JSON content of an auth.json ({"tokens":{…}})');
    }
  }
  // With OPENAI_CODEX_AUTH and no explicit store, refreshed tokens stay in memory: writing them to ~/.codex/auth.json
  // could overwrite another account's CLI login.
  const defaultStore = codexAuthJson !== null ? "memory" : "file";
  return {
    host: str(env, "HOST") ?? "127.0.0.1",
    port: int(env, "PORT", 8787, 0, 65535),
    apiKey: str(env, "OPENAI_API_KEY"),
    chatgptAccessToken: str(env, "CHATGPT_ACCESS_TOKEN"),
    chatgptAccountId: str(env, "CHATGPT_ACCOUNT_ID"),
    codexAuthJson,
    clientId: str(env, "CHATGPT_LOCAL_CLIENT_ID") ?? DEFAULT_CLIENT_ID,
    responsesUrl,
    modelsUrl: modelsUrlFor(responsesUrl),
    oauthIssuer,
    oauthTokenUrl: url(env, "CHATGPT_OAUTH_TOKEN_URL", `${oauthIssuer}/oauth/token`)!,
    usageUrl: url(env, "CHATGPT_USAGE_URL", usageUrlFor(responsesUrl))!,
    codexHome: str(env, "CODEX_HOME"),
    relayHome: str(env, "CODEX_RELAY_HOME"),
    tokenStore: oneOf(env, "TOKEN_STORE", ["file", "memory", "redis"] as const, defaultStore),
    redisUrl: str(env, "REDIS_URL"),
    tokenEncryptionKey: str(env, "TOKEN_ENCRYPTION_KEY"),
    ollamaApiUrl: url(env, "OLLAMA_API_URL", null),
    reasoningEffort: oneOf(env, "REASONING_EFFORT", REASONING_EFFORTS, "medium"),
    reasoningSummary: oneOf(env, "REASONING_SUMMARY", REASONING_SUMMARIES, "auto", {
      on: "auto",
      off: "none",
    }),
    reasoningCompat: oneOf(env, "REASONING_COMPAT", REASONING_COMPATS, "think-tags", {
      think_tags: "think-tags",
      "reasoning-content": "reasoning_content",
      current: "legacy",
      standard: "legacy",
    }),
    debugModel: str(env, "DEBUG_MODEL"),
    verbose: bool(env, "VERBOSE", false),
    logLevel: oneOf(
      env,
      "LOG_LEVEL",
      ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const,
      bool(env, "VERBOSE", false) ? "debug" : "info",
    ),
    logFormat:
      str(env, "LOG_FORMAT") === null ? null : oneOf(env, "LOG_FORMAT", ["pretty", "json"] as const, "json"),
    corsOrigins: list(env, "CORS_ORIGINS"),
    allowedHosts: list(env, "ALLOWED_HOSTS"),
    upstreamIdleTimeoutMs: int(env, "UPSTREAM_IDLE_TIMEOUT_MS", 300_000, 100, 3_600_000),
    bodyLimit: size(env, "BODY_LIMIT", 50 * 1024 * 1024),
    bodyMemoryLimit: str(env, "BODY_MEMORY_LIMIT") === null ? null : size(env, "BODY_MEMORY_LIMIT", 0),
    maxConnections: int(env, "MAX_CONNECTIONS", 512, 1, 1_000_000),
    sendTimeoutMs: int(env, "SEND_TIMEOUT_MS", 60_000, 100, 3_600_000),
    debugRefreshIntervalMs: int(env, "DEBUG_REFRESH_MIN_MS", 30_000, 0, 3_600_000),
    modelAliases: aliases(env, "MODEL_ALIASES"),
    codexInstructions: str(env, "CODEX_INSTRUCTIONS") ?? DEFAULT_INSTRUCTIONS,
    instructionsMode: oneOf(env, "INSTRUCTIONS_MODE", ["developer", "instructions"] as const, "developer"),
    originator: str(env, "CODEX_ORIGINATOR") ?? "codex_cli_rs",
    upstreamRetries: int(env, "UPSTREAM_RETRIES", 2, 0, 10),
    debugRoutes: bool(env, "DEBUG_ROUTES", false),
    shutdownTimeoutMs: int(env, "SHUTDOWN_TIMEOUT_MS", 10_000, 0, 3_600_000),
    anthropicModelMap: aliases(env, "ANTHROPIC_MODEL_MAP"),
    anthropicSigningKey: str(env, "ANTHROPIC_SIGNING_KEY"),
    upstreamTransport: oneOf(env, "UPSTREAM_TRANSPORT", ["auto", "websocket", "http"] as const, "auto", {
      ws: "websocket",
      sse: "http",
    }),
    responsesWebSocketUrl: webSocketUrlFor(responsesUrl),
    upstreamWsMaxConnections: int(env, "UPSTREAM_WS_POOL", 256, 1, 100_000),
    upstreamWsIdleMs: int(env, "UPSTREAM_WS_IDLE_MS", 300_000, 1000, 3_600_000),
    upstreamRequestCompression: oneOf(env, "UPSTREAM_COMPRESSION", ["zstd", "none"] as const, "zstd", {
      off: "none",
    }),
  };
}

export type { ReasoningEffort, ReasoningSummary };
