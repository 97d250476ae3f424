// POST /v1/chat/completions: validate, convert to a Responses request, run the turn, render it as chat chunks
// (SSE) or one chat.completion.

import type { Context } from "hono";
import type { Relay } from "../relay.ts";
import { REASONING_COMPATS, type ReasoningCompat } from "../config.ts";
import { invalidRequest } from "../core/errors.ts";
import { turnError, type TurnFailure } from "../core/turn-failure.ts";
import { startTurn } from "../core/turn.ts";
import { collectTurn } from "../core/collect-turn.ts";
import { readJsonBody } from "../http/read-json.ts";
import { linkedAbort } from "../http/text-stream.ts";
import { failureBeforeOutput } from "../http/failure-before-output.ts";
import { jsonResponse, sseResponse } from "../http/responses.ts";
import { parseChatRequest } from "../openai/chat-request-schema.ts";
import { deriveConversationKey, outputLimitsOf, toResponsesRequest } from "../openai/to-responses-request.ts";
import { ChatStreamTranslator, DONE_LINE, serializeChunk } from "../openai/chat-stream-translator.ts";
import { buildChatCompletion } from "../openai/chat-completion-builder.ts";
import { compatForFormat } from "../openai/reasoning-renderer.ts";
import { forwardToOllama } from "../upstream/ollama-upstream.ts";
import { isOllamaModel } from "../models/model-backend.ts";
import { prepareModel, setServiceTier } from "./prepare-model.ts";
import { requestObserver } from "../observe/request-hook.ts";
import { credentialsAhead } from "../http/credentials-ahead.ts";

export function pickCompat(c: Context, requested: unknown, fallback: ReasoningCompat): ReasoningCompat {
  const value = requested ?? c.req.header("x-reasoning-compat");
  if (value === undefined || value === null || value === "") return fallback;
  const v = String(value).toLowerCase();
  if ((REASONING_COMPATS as readonly string[]).includes(v)) return v as ReasoningCompat;
  throw invalidRequest(
    "reasoning_compat",
    `Invalid value for 'reasoning_compat': '${v}' is not one of ${REASONING_COMPATS.join(", ")}.`,
  );
}

export async function chatCompletions(c: Context, relay: Relay): Promise<Response> {
  const json = await readJsonBody(c);
  // With OLLAMA_API_URL, requests for that Ollama's models go to it untouched (streaming kept).
  const requested = (json as { model?: unknown } | null)?.model;
  if (typeof requested === "string" && (await isOllamaModel(relay, requested))) {
    return forwardToOllama(relay, "/v1/chat/completions", json, c.req.raw.signal);
  }
  const req = parseChatRequest(json);
  const compat = compatForFormat(
    pickCompat(c, req.reasoning_compat, relay.config.reasoningCompat),
    req.response_format,
  );
  const prepared = await prepareModel(relay, req.model);
  const { model, effort, instructions } = prepared;
  const sessionId = c.req.header("x-session-id") || deriveConversationKey(req);
  const body = toResponsesRequest(req, {
    model,
    effort,
    defaults: { effort: relay.config.reasoningEffort, summary: relay.config.reasoningSummary },
    instructions,
    instructionsMode: relay.config.instructionsMode,
    promptCacheKey: sessionId,
  });
  setServiceTier(body, prepared.serviceTier({ name: "service_tier", value: req.service_tier }));
  const abort = linkedAbort(c.req.raw.signal);
  const turn = await startTurn(relay.upstream, body, {
    signal: abort.signal,
    sessionId,
    ...outputLimitsOf(req),
    observer: requestObserver(c),
    credentials: credentialsAhead(c),
  });
  const id = `chatcmpl-${crypto.randomUUID().replace(/-/g, "")}`;
  const created = Math.floor(Date.now() / 1000);

  if (req.stream) {
    const opened = await failureBeforeOutput(turn.parts);
    if (opened.failed) {
      abort.abort();
      throw turnError(opened.failed);
    }
    const translator = new ChatStreamTranslator({
      id,
      model: req.model,
      created,
      compat,
      includeUsage: req.stream_options?.include_usage === true,
    });
    async function* frames(): AsyncGenerator<string> {
      for (const chunk of translator.start()) yield serializeChunk(chunk);
      for await (const part of opened.parts) {
        for (const out of translator.push(part)) yield serializeChunk(out);
      }
      yield DONE_LINE;
    }
    return sseResponse(frames(), abort, turn.headers);
  }

  const result = okOrThrow(await collectTurn(turn.parts), abort);
  const completion = buildChatCompletion(result, { id, model: req.model, created, compat });
  return jsonResponse(completion, turn.headers);
}

/**
 * For non-stream answers: a collected turn that failed aborts the backend request and becomes an HTTP error;
 * otherwise it is returned as is.
 */
export function okOrThrow<T extends { error?: TurnFailure }>(result: T, abort: AbortController): T {
  if (!result.error) return result;
  abort.abort();
  throw turnError(result.error);
}
