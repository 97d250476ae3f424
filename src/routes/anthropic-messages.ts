// The Anthropic Messages API: POST /v1/messages (stream and non-stream), POST /v1/messages/count_tokens, and
// GET /v1/models and /v1/models/{id} in Anthropic's shape. Data flows as in the other dialects: validate → model
// map → Responses request (src/anthropic) → the core's turn (limits, normalizer) → the Anthropic stream translator
// → SSE, or its events folded into one Message. Errors are answered in Anthropic's shape (anthropic/error-body.ts).

import type { Context } from "hono";
import type { Relay } from "../relay.ts";
import { RelayError } from "../core/errors.ts";
import { startTurn, type Turn } from "../core/turn.ts";
import { readJsonBody } from "../http/read-json.ts";
import { linkedAbort } from "../http/text-stream.ts";
import { jsonResponse, sseResponse } from "../http/responses.ts";
import { withKeepAlive } from "../http/keep-alive.ts";
import { failureBeforeOutput } from "../http/failure-before-output.ts";
import { countRequestTokens } from "../core/request-tokens.ts";
import type { ResponsesRequestBody } from "../responses/types.ts";
import {
  parseCountTokensRequest,
  parseMessagesRequest,
  type CountTokensRequest,
} from "../anthropic/request-schema.ts";
import { anthropicModelTarget, CLAUDE_FAMILIES } from "../anthropic/model-map.ts";
import { chooseReasoning, type ReasoningChoice } from "../anthropic/reasoning-options.ts";
import { derivePromptCacheKey } from "../anthropic/prompt-cache-key.ts";
import { outputLimitsOf, toResponsesRequest } from "../anthropic/to-responses-request.ts";
import { createThinkingSigner, signingKey, type ThinkingSigner } from "../anthropic/thinking-signature.ts";
import { AnthropicStreamTranslator } from "../anthropic/stream-translator.ts";
import { MessageBuilder } from "../anthropic/message-builder.ts";
import { PING_FRAME, serializeEvent } from "../anthropic/message-types.ts";
import { anthropicErrorResponse, toAnthropicError, type OverflowContext } from "../anthropic/error-body.ts";
import { anthropicModelInfo, anthropicModelList, CLAUDE_CODE_MODELS } from "../anthropic/models-list.ts";
import { listModelIds } from "./models.ts";
import { turnError } from "../core/turn-failure.ts";
import { prepareModel } from "./prepare-model.ts";
import { requestObserver } from "../observe/request-hook.ts";
import { credentialsAhead } from "../http/credentials-ahead.ts";

/** A ping when nothing else went out for this long (Claude Code's idle timeout is at least 300 s). */
export const PING_INTERVAL_MS = 15_000;
/** The context window assumed when the catalogue does not say. */
const DEFAULT_CONTEXT_WINDOW = 272_000;

const signers = new WeakMap<Relay, ThinkingSigner>();

/** One signer per relay: ANTHROPIC_SIGNING_KEY, else the client key, else a random key. */
export function signerFor(relay: Relay): ThinkingSigner {
  let signer = signers.get(relay);
  if (!signer) {
    signer = createThinkingSigner(signingKey(relay.config.anthropicSigningKey ?? relay.config.apiKey));
    signers.set(relay, signer);
  }
  return signer;
}

interface PreparedRequest {
  body: ResponsesRequestBody;
  reasoning: ReasoningChoice;
  overflow: OverflowContext;
}

async function prepare(
  relay: Relay,
  req: CountTokensRequest,
  promptCacheKey: string,
): Promise<PreparedRequest> {
  const target = anthropicModelTarget(req.model, relay.config.anthropicModelMap, await relay.catalog.list());
  const prepared = await prepareModel(relay, target);
  const entry = await relay.catalog.get(prepared.model);
  const reasoning = chooseReasoning(req, {
    modelEffort: prepared.effort,
    defaults: { effort: relay.config.reasoningEffort, summary: relay.config.reasoningSummary },
    supported: entry?.efforts ?? [],
  });
  const signer = signerFor(relay);
  const body = toResponsesRequest(req, {
    model: prepared.model,
    instructions: prepared.instructions,
    instructionsMode: relay.config.instructionsMode,
    reasoning,
    promptCacheKey,
    openSignature: (s) => signer.open(s),
  });
  let counted: number | undefined;
  const overflow: OverflowContext = {
    promptTokens: () => (counted ??= countRequestTokens(body)),
    contextWindow: entry?.contextWindow ?? DEFAULT_CONTEXT_WINDOW,
  };
  return { body, reasoning, overflow };
}

export async function messages(c: Context, relay: Relay): Promise<Response> {
  const req = parseMessagesRequest(await readJsonBody(c));
  const sessionId = derivePromptCacheKey(req, c.req.header("x-claude-code-session-id"));
  const { body, reasoning, overflow } = await prepare(relay, req, sessionId);
  const abort = linkedAbort(c.req.raw.signal);
  let turn: Turn;
  try {
    turn = await startTurn(relay.upstream, body, {
      signal: abort.signal,
      sessionId,
      ...outputLimitsOf(req),
      observer: requestObserver(c),
      credentials: credentialsAhead(c),
    });
  } catch (err) {
    if (err instanceof RelayError) return anthropicErrorResponse(err, overflow);
    throw err;
  }
  const signer = signerFor(relay);
  const translator = new AnthropicStreamTranslator({
    id: `msg_${crypto.randomUUID().replace(/-/g, "")}`,
    model: req.model,
    showThinking: reasoning.showThinking,
    showThinkingText: reasoning.showThinkingText,
    sign: (e) => signer.sign(e),
    errorEvent: (part) => toAnthropicError(turnError(part), overflow).body,
  });
  const headers = { ...turn.headers, "request-id": `req_${crypto.randomUUID().replace(/-/g, "")}` };

  if (req.stream === true) {
    // A failure before any output (a context overflow comes as response.failed right after response.created)
    // is still answered with its HTTP status, which is what makes Claude Code compact or retry.
    const opened = await failureBeforeOutput(turn.parts, PING_INTERVAL_MS);
    if (opened.failed) {
      abort.abort();
      return anthropicErrorResponse(turnError(opened.failed), overflow);
    }
    async function* frames(): AsyncGenerator<string> {
      for (const event of translator.start()) yield serializeEvent(event);
      for await (const part of opened.parts) {
        for (const event of translator.push(part)) yield serializeEvent(event);
        if (translator.finished) return;
      }
    }
    return sseResponse(withKeepAlive(frames(), PING_INTERVAL_MS, PING_FRAME), abort, headers);
  }

  const builder = new MessageBuilder();
  for (const event of translator.start()) builder.push(event);
  for await (const part of turn.parts) {
    if (part.type === "error") {
      abort.abort();
      return anthropicErrorResponse(turnError(part), overflow);
    }
    for (const event of translator.push(part)) builder.push(event);
    if (translator.finished) break;
  }
  const message = builder.result();
  if (!message || message.stop_reason === null) {
    // Only when the client went away mid-turn: nobody reads this.
    abort.abort();
    return anthropicErrorResponse(
      new RelayError(499, "The client closed the request.", { code: "client_closed" }),
    );
  }
  return jsonResponse(message, headers);
}

export async function countTokens(c: Context, relay: Relay): Promise<Response> {
  const req = parseCountTokensRequest(await readJsonBody(c));
  const { body } = await prepare(relay, req, "count_tokens");
  return jsonResponse({ input_tokens: countRequestTokens(body) });
}

/** What an Anthropic client sees: Claude Code's names and the mapped Claude names (with targets), then the relay's ids. */
async function anthropicModelEntries(relay: Relay): Promise<{ id: string; target?: string }[]> {
  const models = await relay.catalog.list();
  const map = relay.config.anthropicModelMap;
  const entries: { id: string; target?: string }[] = [];
  for (const family of CLAUDE_FAMILIES) {
    const id = CLAUDE_CODE_MODELS[family];
    entries.push({ id, target: anthropicModelTarget(id, map, models) });
  }
  for (const name of Object.keys(map)) {
    if (/^(claude|anthropic)/i.test(name))
      entries.push({ id: name, target: anthropicModelTarget(name, map, models) });
  }
  for (const id of await listModelIds(relay)) entries.push({ id });
  return entries;
}

/** GET /v1/models for a client that sent `anthropic-version`. */
export async function anthropicModels(relay: Relay): Promise<Response> {
  return jsonResponse(anthropicModelList(await anthropicModelEntries(relay), relay.startedAt));
}

/**
 * GET /v1/models/{id} for Anthropic clients: a listed id, or any Claude name /v1/messages accepts (it maps to a
 * family's model, named in the display name); anything else is a 404 (not_found_error in Anthropic's shape).
 */
export async function anthropicModel(relay: Relay, id: string): Promise<Response> {
  const entries = await anthropicModelEntries(relay);
  let entry = entries.find((e) => e.id === id);
  if (!entry && /^(claude|anthropic)/i.test(id.trim())) {
    entry = {
      id,
      target: anthropicModelTarget(id, relay.config.anthropicModelMap, await relay.catalog.list()),
    };
  }
  if (!entry) {
    throw new RelayError(404, `The model '${id}' does not exist or is not available through codex-relay.`, {
      code: "model_not_found",
      param: "model",
    });
  }
  return jsonResponse(anthropicModelInfo(entry, relay.startedAt));
}
