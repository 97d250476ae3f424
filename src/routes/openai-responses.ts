// POST /v1/responses: a pass-through for Responses-native clients (the openai SDKs' `responses.*`, @ai-sdk/openai's
// default model, the Codex CLI with a custom model provider). The body is sanitised (request-body.ts), a
// previous_response_id is expanded from the in-memory cache, and the backend's events go back as they arrive —
// or, for stream:false, are aggregated into one `response` object.

import type { Context } from "hono";
import type { Relay } from "../relay.ts";
import { RelayError, invalidRequest } from "../core/errors.ts";
import { readJsonBody } from "../http/read-json.ts";
import { linkedAbort } from "../http/text-stream.ts";
import { hashToUuid } from "../core/hash.ts";
import { sessionKeyForClientKey } from "../openai/to-responses-request.ts";
import { STREAM_INCOMPLETE_MESSAGE } from "../responses/normalize-events.ts";
import { OutputIndexCompactor } from "../responses/output-index.ts";
import { deriveSessionKey, parseResponsesRequest, toUpstreamBody } from "../responses/request-body.ts";
import {
  ResponseAggregator,
  TERMINAL_EVENTS,
  type ResponseFailure,
} from "../responses/response-aggregator.ts";
import type { PreviousResponse } from "../responses/response-cache.ts";
import { formatSseEvent, isCodexClient, isCodexOnlyEvent } from "../responses/sse-events.ts";
import type {
  JsonObject,
  ResponsesInputItem,
  ResponsesRequestBody,
  UpstreamEvent,
} from "../responses/types.ts";
import type { ResponseStore } from "../responses/response-store.ts";
import { checkToolOutputs } from "../responses/tool-output-pairing.ts";
import { withClientParam } from "../responses/backend-param.ts";
import { turnError } from "../core/turn-failure.ts";
import { jsonResponse, sseResponse } from "../http/responses.ts";
import { prepareModel, setServiceTier } from "./prepare-model.ts";
import { requestObserver } from "../observe/request-hook.ts";
import { credentialsAhead } from "../http/credentials-ahead.ts";
import { streamObserved } from "../core/turn-observer.ts";

function previousNotFound(id: string): RelayError {
  return invalidRequest(
    "previous_response_id",
    `Previous response with id '${id}' not found. codex-relay keeps recent responses in memory only (the ChatGPT backend stores nothing), so ids from before a restart or from long ago are gone; send the whole conversation in 'input' instead.`,
    "previous_response_not_found",
  );
}

/**
 * GET /v1/responses is a WebSocket upgrade attempt (the Codex CLI's preferred transport). 426 tells the CLI to
 * fall back to HTTP at once instead of spending its retries.
 */
export function responsesWebSocket(): never {
  throw new RelayError(
    426,
    "codex-relay serves /v1/responses over HTTP POST (Server-Sent Events) only; WebSocket transport is not supported.",
    {
      code: "websocket_not_supported",
    },
  );
}

export interface ResponsesTurn {
  body: ResponsesRequestBody;
  sessionId: string;
  model: string;
  stream: boolean;
  previousResponseId: string | null;
  /** Keeps the finished response for a later previous_response_id (in every store given). */
  remember(aggregator: ResponseAggregator): Promise<void>;
  /** A backend refusal with `param` naming the client's field, where the backend's sentence names one. */
  clientError(err: unknown): unknown;
}

/**
 * A Responses request made ready for the backend: validated, its previous_response_id expanded from the first of
 * `stores` that has it (a WebSocket connection's own, then the relay's), its model and session key resolved.
 */
export async function prepareResponsesTurn(
  relay: Relay,
  raw: unknown,
  header: (name: string) => string | undefined,
  stores: ResponseStore[],
): Promise<ResponsesTurn> {
  const req = parseResponsesRequest(raw);
  let previous: PreviousResponse | undefined;
  if (req.previousResponseId !== null) {
    for (const store of stores) {
      previous = await store.previous(req.previousResponseId);
      if (previous) break;
    }
    if (previous === undefined) throw previousNotFound(req.previousResponseId);
  }
  const input = await stores[stores.length - 1]!.resolveReferences(req.input);
  checkToolOutputs(input, previous?.items);
  const prepared = await prepareModel(relay, req.model);
  const { model, effort, instructions } = prepared;
  const rawKey = req.body.prompt_cache_key;
  const clientKey = typeof rawKey === "string" && rawKey !== "" ? sessionKeyForClientKey(rawKey) : undefined;
  // The body carries the same key as the header (toUpstreamBody keeps the client's own only when it is unset).
  if (clientKey !== undefined) req.body.prompt_cache_key = clientKey;
  const sessionId =
    clientKey || header("x-session-id") || previous?.sessionId || deriveSessionKey(model, input, hashToUuid);
  const body = toUpstreamBody(req, {
    model,
    effort,
    defaults: { effort: relay.config.reasoningEffort, summary: relay.config.reasoningSummary },
    instructions,
    instructionsMode: relay.config.instructionsMode,
    history: previous?.items,
    input,
    promptCacheKey: sessionId,
  });
  setServiceTier(body, prepared.serviceTier({ name: "service_tier", value: req.body.service_tier }));
  return {
    body,
    sessionId,
    model,
    stream: req.stream,
    previousResponseId: req.previousResponseId,
    async remember(aggregator) {
      const id = aggregator.responseId;
      if (id === undefined) return;
      const output = aggregator.outputItems() as ResponsesInputItem[];
      for (const store of stores) await store.remember(id, body.input, output, sessionId);
    },
    clientError: (err) => withClientParam(err, body.input.length - input.length),
  };
}

export async function responses(c: Context, relay: Relay): Promise<Response> {
  const turn = await prepareResponsesTurn(relay, await readJsonBody(c), (name) => c.req.header(name), [
    relay.responseStore,
  ]);
  const abort = linkedAbort(c.req.raw.signal);
  const reply = await streamObserved(
    relay.upstream,
    turn.body,
    { signal: abort.signal, sessionId: turn.sessionId, credentials: credentialsAhead(c) },
    requestObserver(c),
  ).catch((err: unknown) => {
    throw turn.clientError(err);
  });
  const aggregator = new ResponseAggregator(turn.model, turn.previousResponseId);
  const remember = () => turn.remember(aggregator);

  if (turn.stream) {
    const codexClient = isCodexClient((name) => c.req.header(name));
    const frames = sseFrames(relayEvents(reply.events, aggregator, codexClient, remember));
    return sseResponse(frames, abort, reply.headers);
  }

  const response = await aggregate(reply.events, aggregator);
  await remember();
  return jsonResponse(response, reply.headers);
}

async function* sseFrames(events: AsyncIterable<UpstreamEvent>): AsyncGenerator<string> {
  for await (const event of events) yield formatSseEvent(event);
}

/**
 * The backend's events as they come (output_index made dense), ending with exactly one terminal event (a failure
 * becomes response.failed).
 * `codexClient`: pass the events only the Codex CLI understands.
 */
export async function* relayEvents(
  events: AsyncIterable<UpstreamEvent>,
  aggregator: ResponseAggregator,
  codexClient: boolean,
  remember: () => Promise<void>,
): AsyncGenerator<UpstreamEvent> {
  const outputIndexes = new OutputIndexCompactor();
  try {
    for await (const event of events) {
      outputIndexes.apply(event);
      aggregator.push(event);
      const type = event.type;
      if (!codexClient && isCodexOnlyEvent(type)) continue;
      if (type === "response.completed" || type === "response.incomplete") {
        const response = event.response;
        if (response !== null && typeof response === "object") aggregator.fillOutput(response as JsonObject);
        // Before the event goes out: a client may send the follow-up request the moment it reads it.
        await remember();
      }
      yield event;
      if (TERMINAL_EVENTS.has(type)) return; // leaving the loop ends the backend request
    }
  } catch (err) {
    if (err instanceof RelayError && err.code === "client_closed") return;
    yield aggregator.failedEvent(failureOf(err));
    return;
  }
  // No terminal event: report the backend's `error` event if there was one, else the early close.
  const failure = aggregator.failure() ?? { message: STREAM_INCOMPLETE_MESSAGE, code: "stream_incomplete" };
  yield aggregator.failedEvent(failure);
}

/** Reads the whole turn for a stream:false request; failures become an HTTP error. */
async function aggregate(
  events: AsyncIterable<UpstreamEvent>,
  aggregator: ResponseAggregator,
): Promise<JsonObject> {
  for await (const event of events) {
    aggregator.push(event);
    if (TERMINAL_EVENTS.has(event.type)) break;
  }
  const failure = aggregator.failure();
  if (failure) throw turnError(failure);
  if (!aggregator.terminal)
    throw turnError({ message: STREAM_INCOMPLETE_MESSAGE, code: "stream_incomplete" });
  return aggregator.finalResponse();
}

function failureOf(err: unknown): ResponseFailure {
  if (err instanceof RelayError) {
    const f: ResponseFailure = { message: err.message, errorType: err.type };
    if (err.code !== null) f.code = err.code;
    return f;
  }
  return { message: "The relay failed while reading the backend's answer.", code: "relay_error" };
}
