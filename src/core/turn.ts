// One turn against the backend, in the dialect-neutral StreamPart form: upstream events → normalizer → (optional)
// stop/max-token limiter. Errors before the first byte are thrown (the route answers with a status); errors after
// it become a terminal `error` part, so every dialect can end its stream properly.
//
// A turn the limiter cuts ends before the backend sends its usage: its finish part gets the usage counted here
// instead (the request's input, see request-tokens.ts, and the output the limiter counted), so every dialect
// reports usage on every answer.

import type { CodexClient } from "../upstream/codex-client.ts";
import type { ResponsesRequestBody, UpstreamEvent } from "../responses/types.ts";
import { ResponsesEventNormalizer } from "../responses/normalize-events.ts";
import { RelayError } from "./errors.ts";
import { OutputLimiter } from "./output-limiter.ts";
import { countRequestTokens } from "./request-tokens.ts";
import type { StreamPart, TurnUsage } from "./stream-parts.ts";

export interface TurnOptions {
  signal?: AbortSignal;
  sessionId: string;
  stop?: string[];
  maxTokens?: number;
}

export interface Turn {
  /** Backend reply headers to pass on (rate limits, openai-model). */
  headers: Record<string, string>;
  parts: AsyncIterable<StreamPart>;
}

export async function startTurn(
  upstream: CodexClient,
  body: ResponsesRequestBody,
  options: TurnOptions,
): Promise<Turn> {
  const reply = await upstream.stream(body, { signal: options.signal, sessionId: options.sessionId });
  return { headers: reply.headers, parts: turnParts(reply.events, options, body) };
}

/** Names of the function tools the request declares (the normalizer unwraps parallel-call wrappers of these). */
function declaredTools(body: ResponsesRequestBody): string[] {
  const names: string[] = [];
  for (const tool of body.tools ?? []) {
    if (tool.type === "function" && typeof tool.name === "string") names.push(tool.name);
  }
  return names;
}

async function* turnParts(
  events: AsyncIterable<UpstreamEvent>,
  options: TurnOptions,
  body: ResponsesRequestBody,
): AsyncGenerator<StreamPart> {
  const normalizer = new ResponsesEventNormalizer({ declaredTools: declaredTools(body) });
  const limited = (options.stop && options.stop.length > 0) || options.maxTokens !== undefined;
  const limiter = limited ? new OutputLimiter({ stop: options.stop, maxTokens: options.maxTokens }) : null;
  let tail: StreamPart[];
  try {
    for await (const event of events) {
      for (const part of normalizer.push(event)) {
        if (!limiter) yield part;
        else
          for (const out of limiter.push(part))
            yield limiter.cut ? withCountedUsage(out, limiter, body) : out;
      }
      // Stop reading at the terminal event or when the limiter cut the answer: leaving the loop aborts the request.
      if (normalizer.finished || limiter?.cut) return;
    }
    // The stream ended without a terminal event: the normalizer reports it as an error part.
    tail = normalizer.end();
  } catch (err) {
    if (err instanceof RelayError && err.code === "client_closed") return;
    tail = [errorPart(err)];
  }
  for (const part of tail) {
    if (limiter) yield* limiter.push(part);
    else yield part;
  }
}

/** The cut finish, with the usage the backend will not send. */
function withCountedUsage(part: StreamPart, limiter: OutputLimiter, body: ResponsesRequestBody): StreamPart {
  if (part.type !== "finish" || part.usage) return part;
  const { outputTokens, reasoningTokens } = limiter.outputUsage();
  const inputTokens = countRequestTokens(body);
  const usage: TurnUsage = {
    inputTokens,
    cachedInputTokens: 0,
    outputTokens,
    reasoningTokens,
    totalTokens: inputTokens + outputTokens,
  };
  return { ...part, usage };
}

function errorPart(err: unknown): StreamPart {
  if (err instanceof RelayError)
    return { type: "error", message: err.message, code: err.code ?? undefined, errorType: err.type };
  return {
    type: "error",
    message: "The relay failed while reading the backend's answer.",
    code: "relay_error",
  };
}
