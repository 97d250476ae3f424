// Ollama's API (SPEC §6): /api/chat and /api/generate run a Codex turn and render it as Ollama NDJSON or one
// object; /api/tags, /api/show, /api/version and /api/ps describe the models. With OLLAMA_API_URL, names that are
// not Codex models but that Ollama has are forwarded to it, reply streamed through untouched.

import type { Context, Hono } from "hono";
import type { Relay } from "../relay.ts";
import type { CatalogModel } from "../models/catalog.ts";
import { RelayError, invalidRequest } from "../core/errors.ts";
import { startTurn } from "../core/turn.ts";
import type { StreamPart } from "../core/stream-parts.ts";
import { readJsonBody } from "../http/read-json.ts";
import { linkedAbort } from "../http/text-stream.ts";
import { failureBeforeOutput } from "../http/failure-before-output.ts";
import type { ChatCompletionRequest } from "../openai/chat-request-schema.ts";
import { deriveConversationKey, outputLimitsOf, toResponsesRequest } from "../openai/to-responses-request.ts";
import { listModelIds } from "./models.ts";
import { setServiceTier } from "./prepare-model.ts";
import { okOrThrow } from "./openai-chat.ts";
import { turnError } from "../core/turn-failure.ts";
import { jsonResponse, ndjsonResponse } from "../http/responses.ts";
import { modelBackendOf, type CodexModelMatch } from "../models/model-backend.ts";
import { lowestEffort } from "../models/lowest-effort.ts";
import {
  parseOllamaChatRequest,
  parseOllamaGenerateRequest,
  parseOllamaShowRequest,
} from "../ollama/request-schemas.ts";
import {
  ollamaChatToChatRequest,
  ollamaGenerateToChatRequest,
  showsThinking,
} from "../ollama/ollama-to-chat-request.ts";
import { OllamaChatStreamTranslator } from "../ollama/ndjson-chat-translator.ts";
import { OllamaGenerateStreamTranslator } from "../ollama/ndjson-generate-translator.ts";
import {
  buildChatResponse,
  buildGenerateResponse,
  chatLoadResponse,
  collectTimedTurn,
  generateLoadResponse,
} from "../ollama/response-builders.ts";
import { TurnClock } from "../ollama/turn-clock.ts";
import { OLLAMA_COMPAT_VERSION, showResponse, tagModel } from "../ollama/model-info.ts";
import { canonicalOllamaName, ollamaUpstreamOf } from "../upstream/ollama-upstream.ts";
import type { OllamaTagModel } from "../ollama/ollama-types.ts";
import { requestObserver } from "../observe/request-hook.ts";
import { credentialsAhead } from "../http/credentials-ahead.ts";

export function registerOllamaRoutes(app: Hono, relay: Relay): void {
  app.post("/api/chat", (c) => ollamaChat(c, relay));
  app.post("/api/generate", (c) => ollamaGenerate(c, relay));
  // GET routes also answer HEAD (Hono), which the ollama CLI uses as a heartbeat.
  app.get("/api/tags", async (c) => c.json({ models: await allTags(relay) }));
  app.post("/api/show", (c) => ollamaShow(c, relay));
  app.get("/api/version", (c) => c.json({ version: OLLAMA_COMPAT_VERSION }));
  app.get("/api/ps", async (c) => c.json({ models: (await ollamaUpstreamOf(relay)?.running()) ?? [] }));
  for (const path of ["/api/embed", "/api/embeddings"]) app.post(path, (c) => ollamaEmbed(c, relay, path));
  app.post("/api/pull", (c) => ollamaPull(c, relay));
  // Ollama's model management: the models here are the ChatGPT plan's, nothing to create, copy, delete or push.
  for (const [method, path] of MANAGEMENT_ROUTES) app.on(method, path, (c) => notManaged(c.req.path));
}

const MANAGEMENT_ROUTES = [
  ["POST", "/api/create"],
  ["POST", "/api/copy"],
  ["DELETE", "/api/delete"],
  ["POST", "/api/push"],
  ["POST", "/api/blobs/:digest"],
] as const;

function notManaged(path: string): never {
  throw new RelayError(
    501,
    `codex-relay does not serve ${path}: its models are those of your ChatGPT plan and cannot be created, copied, deleted or pushed (manage the models of an Ollama behind OLLAMA_API_URL with that Ollama).`,
    { code: "unsupported_endpoint" },
  );
}

function notFound(model: string): RelayError {
  return new RelayError(404, `model "${model}" not found`, { code: "model_not_found", param: "model" });
}

function modelField(json: unknown): string | undefined {
  if (json === null || typeof json !== "object") return undefined;
  const m = (json as { model?: unknown; name?: unknown }).model ?? (json as { name?: unknown }).name;
  return typeof m === "string" && m.trim() !== "" ? m.trim() : undefined;
}

/**
 * Where a request goes: a Codex model (the match), or the Ollama server (its reply). Codex names win a clash; a
 * name neither knows is a 404 once the body is known to be valid.
 */
async function route(
  c: Context,
  relay: Relay,
  path: string,
  json: unknown,
): Promise<{ match: CodexModelMatch | null; forwarded: Response | null }> {
  const model = modelField(json);
  if (model === undefined) return { match: null, forwarded: null };
  const backend = await modelBackendOf(relay, model);
  if (backend.kind === "ollama") {
    const forwarded = await backend.ollama.forward(path, JSON.stringify(json), c.req.raw.signal);
    return { match: backend.match, forwarded };
  }
  return { match: backend.match, forwarded: null };
}

async function runTurn(c: Context, relay: Relay, chatReq: ChatCompletionRequest, match: CodexModelMatch) {
  const sessionId = c.req.header("x-session-id") || deriveConversationKey(chatReq);
  const body = toResponsesRequest(chatReq, {
    model: match.model,
    effort: match.effort,
    defaults: { effort: relay.config.reasoningEffort, summary: relay.config.reasoningSummary },
    instructions: match.instructions,
    instructionsMode: relay.config.instructionsMode,
    promptCacheKey: sessionId,
  });
  // Ollama's API has no tier field: the "-fast" variant is the way.
  setServiceTier(body, match.serviceTier());
  const limits = outputLimitsOf(chatReq);
  const abort = linkedAbort(c.req.raw.signal);
  const turn = await startTurn(relay.upstream, body, {
    signal: abort.signal,
    sessionId,
    stop: limits.stop,
    maxTokens: limits.maxTokens,
    observer: requestObserver(c),
    credentials: credentialsAhead(c),
  });
  return { turn, abort };
}

async function ollamaChat(c: Context, relay: Relay): Promise<Response> {
  // Ollama's total_duration covers the whole request, so the clock starts before the body is read.
  const clock = new TurnClock();
  const json = await readJsonBody(c);
  const { match, forwarded } = await route(c, relay, "/api/chat", json);
  if (forwarded) return forwarded;
  const req = parseOllamaChatRequest(json);
  if (!match?.known) throw notFound(req.model);
  if (!req.messages || req.messages.length === 0) return jsonResponse(chatLoadResponse(req.model));

  const chatReq = ollamaChatToChatRequest(req, conversionOptions(relay, match));
  const { turn, abort } = await runTurn(c, relay, chatReq, match);
  const options = { model: req.model, clock, showThinking: showsThinking(req.think) };
  if (req.stream !== false) {
    return ndjsonResponse(
      ndjsonLines(await streamedParts(turn.parts, abort), new OllamaChatStreamTranslator(options)),
      abort,
      turn.headers,
    );
  }
  const collected = okOrThrow(await collectTimedTurn(turn.parts, clock), abort);
  return jsonResponse(buildChatResponse(collected, options), turn.headers);
}

async function ollamaGenerate(c: Context, relay: Relay): Promise<Response> {
  const clock = new TurnClock();
  const json = await readJsonBody(c);
  const { match, forwarded } = await route(c, relay, "/api/generate", json);
  if (forwarded) return forwarded;
  const req = parseOllamaGenerateRequest(json);
  if (!match?.known) throw notFound(req.model);
  if (!req.prompt && (!req.images || req.images.length === 0))
    return jsonResponse(generateLoadResponse(req.model));

  const chatReq = ollamaGenerateToChatRequest(req, conversionOptions(relay, match));
  const { turn, abort } = await runTurn(c, relay, chatReq, match);
  const options = { model: req.model, clock, showThinking: showsThinking(req.think) };
  if (req.stream !== false) {
    return ndjsonResponse(
      ndjsonLines(await streamedParts(turn.parts, abort), new OllamaGenerateStreamTranslator(options)),
      abort,
      turn.headers,
    );
  }
  const collected = okOrThrow(await collectTimedTurn(turn.parts, clock), abort);
  return jsonResponse(buildGenerateResponse(collected, options), turn.headers);
}

function conversionOptions(relay: Relay, match: CodexModelMatch) {
  return { lowestEffort: lowestEffort(match.entry), defaultSummary: relay.config.reasoningSummary };
}

/** The parts to stream; a failure before any output is thrown, to be answered with its status. */
async function streamedParts(
  parts: AsyncIterable<StreamPart>,
  abort: AbortController,
): Promise<AsyncIterable<StreamPart>> {
  const opened = await failureBeforeOutput(parts);
  if (!opened.failed) return opened.parts;
  abort.abort();
  throw turnError(opened.failed);
}

interface LineTranslator {
  push(part: StreamPart): object[];
  end(): object[];
}

/** One JSON object per line, produced as the parts arrive (never buffered). */
async function* ndjsonLines(
  parts: AsyncIterable<StreamPart>,
  translator: LineTranslator,
): AsyncGenerator<string> {
  try {
    for await (const part of parts) {
      const out = translator.push(part);
      if (out.length === 1) yield JSON.stringify(out[0]) + "\n";
      else if (out.length > 1) yield out.map((o) => JSON.stringify(o) + "\n").join("");
    }
  } catch (err) {
    // turnParts turns failures into error parts; this is the last guard so the stream still ends with a line.
    yield JSON.stringify({ error: err instanceof Error ? err.message : String(err) }) + "\n";
    return;
  }
  for (const o of translator.end()) yield JSON.stringify(o) + "\n";
}

// ── models ───────────────────────────────────────────────────────────────────

/** Built once per catalogue list (the catalogue returns the same array until it refreshes). */
const tagCache = new WeakMap<object, OllamaTagModel[]>();

async function codexTags(relay: Relay): Promise<OllamaTagModel[]> {
  const models = await relay.catalog.list();
  let tags = tagCache.get(models);
  if (!tags) {
    const modifiedAt = new Date(relay.startedAt).toISOString();
    tags = (await listModelIds(relay)).map((id) => tagModel(id, modifiedAt));
    tagCache.set(models, tags);
  }
  return tags;
}

async function allTags(relay: Relay): Promise<OllamaTagModel[]> {
  const ours = await codexTags(relay);
  const upstream = ollamaUpstreamOf(relay);
  if (!upstream) return ours;
  const remote = await upstream.models();
  if (remote.length === 0) return ours;
  const seen = new Set(ours.map((m) => canonicalOllamaName(m.name)));
  return [...ours, ...remote.filter((m) => !seen.has(canonicalOllamaName(m.name)))];
}

async function ollamaShow(c: Context, relay: Relay): Promise<Response> {
  const json = await readJsonBody(c);
  const { match, forwarded } = await route(c, relay, "/api/show", json);
  if (forwarded) return forwarded;
  const name = parseOllamaShowRequest(json);
  if (!match?.known) throw notFound(name);
  const entry = match.entry ?? placeholderEntry(match.model);
  return jsonResponse(showResponse(name, entry, new Date(relay.startedAt).toISOString()));
}

/** For an alias or DEBUG_MODEL target the catalogue does not list: what every Codex model can do. */
function placeholderEntry(slug: string): CatalogModel {
  return {
    slug,
    displayName: slug,
    description: "",
    efforts: [],
    defaultEffort: null,
    baseInstructions: null,
    inputModalities: ["text", "image"],
    contextWindow: null,
    supportsReasoningSummaries: true,
    supportsVerbosity: false,
    listed: false,
    preferWebsockets: false,
    serviceTiers: null,
  };
}

/**
 * `ollama pull` (and clients that pull a model before its first use): a Codex model needs no download, so pulling
 * one succeeds at once, as Ollama answers for a model it has; an Ollama model's pull goes to that Ollama.
 */
async function ollamaPull(c: Context, relay: Relay): Promise<Response> {
  const json = await readJsonBody(c);
  const { match, forwarded } = await route(c, relay, "/api/pull", json);
  if (forwarded) return forwarded;
  const model = modelField(json);
  if (model === undefined) throw invalidRequest("model", "Missing required field 'model'.");
  if (!match?.known) throw notFound(model);
  if ((json as { stream?: unknown }).stream === false) return jsonResponse({ status: "success" });
  const lines = [{ status: "pulling manifest" }, { status: "success" }].map((l) => `${JSON.stringify(l)}\n`);
  return new Response(lines.join(""), { headers: { "content-type": "application/x-ndjson" } });
}

async function ollamaEmbed(c: Context, relay: Relay, path: string): Promise<Response> {
  const json = await readJsonBody(c);
  const { forwarded } = await route(c, relay, path, json);
  if (forwarded) return forwarded;
  throw new RelayError(
    404,
    `codex-relay does not serve ${path}: the Codex backend has no embedding models.`,
    {
      code: "unsupported_endpoint",
    },
  );
}
