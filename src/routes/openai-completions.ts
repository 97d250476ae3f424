// POST /v1/completions (legacy): one prompt → one Responses turn → `text_completion` chunks (SSE) or one object.
// `stop` and `max_tokens` are enforced at the relay (the backend has neither), see core/output-limiter.ts.

import type { Context } from "hono";
import type { Relay } from "../relay.ts";
import { startTurn } from "../core/turn.ts";
import { collectTurn } from "../core/collect-turn.ts";
import { readJsonBody } from "../http/read-json.ts";
import { linkedAbort } from "../http/text-stream.ts";
import { failureBeforeOutput } from "../http/failure-before-output.ts";
import { parseCompletionRequest, toCompletionResponsesBody } from "../openai/completions-request.ts";
import { CompletionStreamTranslator, serializeCompletionChunk } from "../openai/completions-stream.ts";
import { buildTextCompletion } from "../openai/completions-builder.ts";
import { hashToUuid } from "../core/hash.ts";
import { DONE_LINE } from "../openai/chat-stream-translator.ts";
import { okOrThrow } from "./openai-chat.ts";
import { turnError } from "../core/turn-failure.ts";
import { jsonResponse, sseResponse } from "../http/responses.ts";
import { prepareModel, setServiceTier } from "./prepare-model.ts";
import { requestObserver } from "../observe/request-hook.ts";
import { credentialsAhead } from "../http/credentials-ahead.ts";

export async function completions(c: Context, relay: Relay): Promise<Response> {
  const req = parseCompletionRequest(await readJsonBody(c));
  const prepared = await prepareModel(relay, req.model);
  const { model, effort, instructions } = prepared;
  // Each prompt stands alone; a client-given key groups requests that share a prefix for the prompt cache.
  const sessionId =
    c.req.header("x-session-id") ||
    hashToUuid(
      req.user !== undefined
        ? `user\u0000${req.user}`
        : `completion\u0000${model}\u0000${req.prompt.slice(0, 4096)}`,
    );
  const body = toCompletionResponsesBody(req, {
    model,
    effort,
    defaultEffort: relay.config.reasoningEffort,
    instructions,
    instructionsMode: relay.config.instructionsMode,
    promptCacheKey: sessionId,
  });
  setServiceTier(body, prepared.serviceTier());
  const abort = linkedAbort(c.req.raw.signal);
  const turn = await startTurn(relay.upstream, body, {
    signal: abort.signal,
    sessionId,
    stop: req.stop,
    maxTokens: req.maxTokens,
    observer: requestObserver(c),
    credentials: credentialsAhead(c),
  });
  const id = `cmpl-${crypto.randomUUID().replace(/-/g, "")}`;
  const created = Math.floor(Date.now() / 1000);

  if (req.stream) {
    const opened = await failureBeforeOutput(turn.parts);
    if (opened.failed) {
      abort.abort();
      throw turnError(opened.failed);
    }
    const translator = new CompletionStreamTranslator({
      id,
      model: req.model,
      created,
      includeUsage: req.includeUsage,
    });
    async function* frames(): AsyncGenerator<string> {
      for await (const part of opened.parts) {
        for (const out of translator.push(part)) yield serializeCompletionChunk(out);
      }
      yield DONE_LINE;
    }
    return sseResponse(frames(), abort, turn.headers);
  }

  const result = okOrThrow(await collectTurn(turn.parts), abort);
  const completion = buildTextCompletion(result, { id, model: req.model, created });
  return jsonResponse(completion, turn.headers);
}
