// OLLAMA_API_URL: the client of a real Ollama that codex-relay sits in front of. Its model list (cached) tells
// src/models/model-backend.ts which names it serves; requests for them are forwarded to it with the reply body
// streamed through untouched. Unset: every function here returns at once and nothing is contacted.
//
// The remote model list is cached briefly: routing a request needs it, and asking Ollama on every request would
// add a round trip to each of them.

import type { Relay } from "../relay.ts";
import type { Logger } from "../core/logger.ts";
import { RelayError } from "../core/errors.ts";
import type { OllamaRunningModel, OllamaTagModel } from "../ollama/ollama-types.ts";

export interface OllamaUpstreamOptions {
  baseUrl: string;
  logger: Logger;
  fetch?: typeof fetch;
  /** How long a fetched model list is used. */
  ttlMs?: number;
  /** A name missing from a list older than this triggers one refetch (a model pulled a moment ago). */
  missRefreshMs?: number;
  /** Limit for list requests; forwarded chats have none (a local model may think for minutes). */
  listTimeoutMs?: number;
  now?: () => number;
}

export interface OllamaUpstream {
  readonly baseUrl: string;
  /** The remote's /api/tags models; [] while it cannot be reached. */
  models(): Promise<OllamaTagModel[]>;
  /** Whether the remote serves `name` ("llama3.2" matches "llama3.2:latest"). */
  has(name: string): Promise<boolean>;
  /** The remote's /api/ps models; [] when it cannot be reached. */
  running(): Promise<OllamaRunningModel[]>;
  /** POSTs `body` to `path` on the remote and returns its reply, body streamed as it arrives. */
  forward(path: string, body: string, signal?: AbortSignal): Promise<Response>;
}

/** Lower-cased, with the default tag: the form names are compared in. */
export function canonicalOllamaName(name: string): string {
  const n = name.trim().toLowerCase();
  return n.includes(":") ? n : `${n}:latest`;
}

export function createOllamaUpstream(opts: OllamaUpstreamOptions): OllamaUpstream {
  const baseUrl = opts.baseUrl.replace(/\/+$/, "");
  const doFetch = opts.fetch ?? ((input, init) => fetch(input, init));
  const ttl = opts.ttlMs ?? 10_000;
  const missRefresh = opts.missRefreshMs ?? 2_000;
  const listTimeout = opts.listTimeoutMs ?? 5_000;
  const now = opts.now ?? Date.now;

  let list: OllamaTagModel[] = [];
  let names = new Set<string>();
  let fetchedAt = -Infinity;
  let inflight: Promise<void> | null = null;

  async function load(): Promise<void> {
    try {
      const json = await getJson("/api/tags");
      const models = Array.isArray(json?.models) ? (json.models as unknown[]).filter(isTagModel) : [];
      list = models;
      names = new Set(models.flatMap((m) => [canonicalOllamaName(m.name), canonicalOllamaName(m.model)]));
    } catch (err) {
      opts.logger.warn(
        { url: baseUrl, err: errorText(err) },
        "the Ollama server (OLLAMA_API_URL) cannot be reached",
      );
      list = [];
      names = new Set();
    }
    fetchedAt = now();
  }

  function refresh(): Promise<void> {
    inflight ??= load().finally(() => (inflight = null));
    return inflight;
  }

  async function getJson(path: string): Promise<Record<string, unknown> | null> {
    const res = await doFetch(baseUrl + path, {
      headers: { accept: "application/json" },
      signal: AbortSignal.timeout(listTimeout),
    });
    if (!res.ok) throw new Error(`HTTP ${res.status} from ${path}`);
    const json: unknown = await res.json();
    return json !== null && typeof json === "object" ? (json as Record<string, unknown>) : null;
  }

  return {
    baseUrl,
    async models() {
      if (now() - fetchedAt >= ttl) await refresh();
      return list;
    },
    async has(name) {
      if (now() - fetchedAt >= ttl) await refresh();
      const key = canonicalOllamaName(name);
      if (names.has(key)) return true;
      if (now() - fetchedAt < missRefresh) return false;
      await refresh();
      return names.has(key);
    },
    async running() {
      try {
        const json = await getJson("/api/ps");
        return Array.isArray(json?.models)
          ? ((json.models as unknown[]).filter(isTagModel) as OllamaRunningModel[])
          : [];
      } catch (err) {
        opts.logger.warn(
          { url: baseUrl, err: errorText(err) },
          "the Ollama server (OLLAMA_API_URL) cannot be reached",
        );
        return [];
      }
    },
    async forward(path, body, signal) {
      let res: Response;
      try {
        res = await doFetch(baseUrl + path, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
          signal,
        });
      } catch (err) {
        if (signal?.aborted)
          throw new RelayError(499, "The client closed the request.", { code: "client_closed" });
        throw new RelayError(
          502,
          `The Ollama server at ${baseUrl} (OLLAMA_API_URL) cannot be reached: ${errorText(err)}`,
          {
            code: "ollama_unreachable",
          },
        );
      }
      // Only the content type is kept: hop-by-hop and length headers do not hold for the re-sent body.
      const headers = new Headers();
      const type = res.headers.get("content-type");
      if (type) headers.set("content-type", type);
      return new Response(res.body, { status: res.status, headers });
    },
  };
}

function isTagModel(value: unknown): value is OllamaTagModel {
  if (value === null || typeof value !== "object") return false;
  const m = value as Record<string, unknown>;
  return typeof m.name === "string" && typeof m.model === "string";
}

function errorText(err: unknown): string {
  if (err instanceof Error)
    return err.cause instanceof Error ? `${err.message} (${err.cause.message})` : err.message;
  return String(err);
}

// ── per relay ────────────────────────────────────────────────────────────────

const upstreams = new WeakMap<Relay, OllamaUpstream | null>();

/** The relay's Ollama upstream, created on first use; null when OLLAMA_API_URL is unset. */
export function ollamaUpstreamOf(relay: Relay): OllamaUpstream | null {
  let upstream = upstreams.get(relay);
  if (upstream === undefined) {
    const url = relay.config.ollamaApiUrl;
    upstream = url ? createOllamaUpstream({ baseUrl: url, logger: relay.logger }) : null;
    upstreams.set(relay, upstream);
  }
  return upstream;
}

/**
 * Forwards a request body to the Ollama server (`path` such as "/api/chat" or "/v1/chat/completions") and returns
 * its reply as is, streamed. `body` is the client's JSON (a string, or the parsed value).
 */
export async function forwardToOllama(
  relay: Relay,
  path: string,
  body: unknown,
  signal?: AbortSignal,
): Promise<Response> {
  const upstream = ollamaUpstreamOf(relay);
  if (!upstream)
    throw new RelayError(404, "No Ollama server is configured (OLLAMA_API_URL).", { code: "not_found" });
  return upstream.forward(path, typeof body === "string" ? body : JSON.stringify(body), signal);
}
