// The model catalogue: `GET …/codex/models?client_version=…` from the backend, cached, with a built-in fallback
// when it cannot be fetched. It gives /v1/models its list and each model its base instructions.

import { RelayError } from "../core/errors.ts";
import { CODEX_CLIENT_VERSION, REASONING_EFFORTS } from "../config.ts";
import type { Logger } from "../core/logger.ts";
import type { CredentialProvider } from "../upstream/codex-client.ts";
import type { ReasoningEffort } from "../responses/types.ts";

export interface CatalogModel {
  slug: string;
  displayName: string;
  description: string;
  efforts: ReasoningEffort[];
  defaultEffort: ReasoningEffort | null;
  baseInstructions: string | null;
  inputModalities: string[];
  contextWindow: number | null;
  supportsReasoningSummaries: boolean;
  supportsVerbosity: boolean;
  /** Hidden models ("hide") are usable but not listed. */
  listed: boolean;
  /** The backend prefers its WebSocket transport for this model (`prefer_websockets`). */
  preferWebsockets: boolean;
  /** Service tiers the model offers (`service_tiers[].id`, e.g. "priority", Codex's fast mode); null: unknown. */
  serviceTiers: string[] | null;
}

export interface ModelCatalog {
  list(): Promise<CatalogModel[]>;
  get(slug: string): Promise<CatalogModel | undefined>;
  /** "upstream" when the last list came from the backend, "fallback" otherwise. */
  readonly source: "upstream" | "fallback";
}

const FALLBACK_EFFORTS: ReasoningEffort[] = ["low", "medium", "high", "xhigh"];

function fallbackModel(slug: string, description: string): CatalogModel {
  return {
    slug,
    displayName: slug,
    description,
    efforts: FALLBACK_EFFORTS,
    defaultEffort: "medium",
    baseInstructions: null,
    inputModalities: ["text", "image"],
    contextWindow: 272_000,
    supportsReasoningSummaries: true,
    supportsVerbosity: true,
    listed: true,
    preferWebsockets: false,
    serviceTiers: null,
  };
}

export const FALLBACK_MODELS: CatalogModel[] = [
  fallbackModel("gpt-5.5", "Latest frontier model for coding and reasoning."),
  fallbackModel("gpt-5.4", "Strong general coding model."),
  fallbackModel("gpt-5.4-mini", "Smaller, faster model."),
];

const EFFORTS = new Set<string>(REASONING_EFFORTS);

function toModel(raw: unknown): CatalogModel | null {
  if (!raw || typeof raw !== "object") return null;
  const r = raw as Record<string, unknown>;
  if (typeof r.slug !== "string" || !r.slug) return null;
  const levels = Array.isArray(r.supported_reasoning_levels) ? r.supported_reasoning_levels : [];
  const efforts = levels
    .map((l) => (typeof l === "string" ? l : (l as { effort?: unknown })?.effort))
    .filter((e): e is ReasoningEffort => typeof e === "string" && EFFORTS.has(e));
  const str = (v: unknown) => (typeof v === "string" && v ? v : null);
  return {
    slug: r.slug,
    displayName: str(r.display_name) ?? r.slug,
    description: str(r.description) ?? "",
    efforts,
    defaultEffort: EFFORTS.has(String(r.default_reasoning_level))
      ? (r.default_reasoning_level as ReasoningEffort)
      : null,
    baseInstructions: str(r.base_instructions),
    inputModalities: Array.isArray(r.input_modalities)
      ? r.input_modalities.filter((m): m is string => typeof m === "string")
      : ["text"],
    contextWindow: typeof r.context_window === "number" ? r.context_window : null,
    supportsReasoningSummaries: r.supports_reasoning_summaries !== false,
    supportsVerbosity: r.support_verbosity === true,
    listed: r.visibility !== "hide" && r.visibility !== "hidden",
    preferWebsockets: r.prefer_websockets === true,
    serviceTiers: (Array.isArray(r.service_tiers) ? r.service_tiers : [])
      .map((t) => (typeof t === "string" ? t : (t as { id?: unknown } | null)?.id))
      .filter((id): id is string => typeof id === "string" && id !== ""),
  };
}

export interface ModelCatalogDeps {
  modelsUrl: string;
  credentials: CredentialProvider;
  logger: Logger;
  fetch?: typeof fetch;
  /** How long a fetched catalogue is used before it is fetched again. */
  ttlMs?: number;
  /** How long to wait before trying again after a failed fetch. */
  retryMs?: number;
  now?: () => number;
}

export function createModelCatalog(deps: ModelCatalogDeps): ModelCatalog {
  const doFetch = deps.fetch ?? ((input, init) => fetch(input, init));
  const ttl = deps.ttlMs ?? 15 * 60_000;
  const retry = deps.retryMs ?? 60_000;
  const now = deps.now ?? Date.now;
  let models: CatalogModel[] = FALLBACK_MODELS;
  let bySlug = new Map(models.map((m) => [m.slug, m]));
  let source: "upstream" | "fallback" = "fallback";
  let validUntil = 0;
  let inflight: Promise<void> | null = null;

  async function load(): Promise<void> {
    try {
      const creds = await deps.credentials.getCredentials();
      const url = `${deps.modelsUrl}?client_version=${CODEX_CLIENT_VERSION}`;
      const res = await doFetch(url, {
        headers: {
          authorization: `Bearer ${creds.accessToken}`,
          "chatgpt-account-id": creds.accountId,
          accept: "application/json",
        },
        signal: AbortSignal.timeout(10_000),
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const json = (await res.json()) as { models?: unknown };
      const parsed = (Array.isArray(json.models) ? json.models : [])
        .map(toModel)
        .filter((m): m is CatalogModel => m !== null);
      if (parsed.length === 0) throw new Error("empty catalogue");
      models = parsed;
      bySlug = new Map(parsed.map((m) => [m.slug, m]));
      source = "upstream";
      validUntil = now() + ttl;
    } catch (err) {
      // A missing or broken sign-in is the token manager's to report (once); here it would only repeat it.
      const signIn = err instanceof RelayError && (err.status === 401 || err.code === "token_store_error");
      (signIn ? deps.logger.debug : deps.logger.warn).call(
        deps.logger,
        { err: err instanceof Error ? err.message : String(err) },
        "model catalogue unavailable, using the built-in list",
      );
      validUntil = now() + retry;
    }
  }

  async function ensure(): Promise<void> {
    if (now() < validUntil) return;
    inflight ??= load().finally(() => (inflight = null));
    await inflight;
  }

  return {
    async list() {
      await ensure();
      return models;
    },
    async get(slug) {
      await ensure();
      return bySlug.get(slug);
    },
    get source() {
      return source;
    },
  };
}
