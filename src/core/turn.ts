// One turn against the backend, in the dialect-neutral StreamPart form: upstream events → normalizer → (optional)
// stop/max-token limiter. Errors before the first byte are thrown (the route answers with a status); errors after
// it become a terminal `error` part, so every dialect can end its stream properly.
//
// A turn the limiter cuts ends before the backend sends its usage: its finish part gets the usage counted here
// instead (the request's input, see request-tokens.ts, and the output the limiter counted), so every dialect
// reports usage on every answer.

import type { Credentials } from "../auth/types.ts";
import type { CodexClient } from "../upstream/codex-client.ts";
import type { ResponsesRequestBody, UpstreamEvent } from "../responses/types.ts";
import { ResponsesEventNormalizer } from "../responses/normalize-events.ts";
import { RelayError } from "./errors.ts";
import { OutputLimiter } from "./output-limiter.ts";
import { countRequestTokens } from "./request-tokens.ts";
import type { StreamPart, TurnUsage } from "./stream-parts.ts";
import { beginObservedTurn, errorCode, type TurnObserver } from "./turn-observer.ts";

export interface TurnOptions {
  signal?: AbortSignal;
  sessionId: string;
  stop?: string[];
  maxTokens?: number;
  /** Told what the turn does (request log, metrics, trace); see TurnObserver. */
  observer?: TurnObserver;
  /** The credentials read when the request arrived (http/credentials-ahead.ts). */
  credentials?: Promise<Credentials>;
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
  const observer = options.observer;
  if (observer) beginObservedTurn(observer, body, options.signal);
  let reply;
  try {
    reply = await upstream.stream(body, {
      signal: options.signal,
      sessionId: options.sessionId,
      credentials: options.credentials,
    });
  } catch (err) {
    observer?.failed(errorCode(err));
    observer?.turnEnded();
    throw err;
  }
  if (reply.account) observer?.servedBy?.(reply.account);
  return { headers: reply.headers, parts: turnParts(reply.events, options, declaredTools(body), body) };
}

/** Names of the function tools the request declares (the normalizer unwraps parallel-call wrappers of these). */
function declaredTools(body: ResponsesRequestBody): string[] {
  const names: string[] = [];
  for (const tool of body.tools ?? []) {
    if (tool.type === "function" && typeof tool.name === "string") names.push(tool.name);
  }
  return names;
}

function turnParts(
  events: AsyncIterable<UpstreamEvent>,
  options: TurnOptions,
  tools: string[],
  body: ResponsesRequestBody,
): AsyncGenerator<StreamPart> {
  const limited = (options.stop && options.stop.length > 0) || options.maxTokens !== undefined;
  // An open stream keeps its generator's arguments: the body (the whole history) only when the limiter may have
  // to count its tokens.
  return limitedParts(events, options, tools, limited ? body : null);
}

async function* limitedParts(
  events: AsyncIterable<UpstreamEvent>,
  options: TurnOptions,
  tools: string[],
  body: ResponsesRequestBody | null,
): AsyncGenerator<StreamPart> {
  const normalizer = new ResponsesEventNormalizer({ declaredTools: tools });
  const limiter = body ? new OutputLimiter({ stop: options.stop, maxTokens: options.maxTokens }) : null;
  const observer = options.observer;
  try {
    let tail: StreamPart[];
    try {
      for await (const event of events) {
        observer?.event(event);
        for (const part of normalizer.push(event)) {
          if (!limiter) {
            if (observer && isTerminal(part)) notify(observer, part);
            yield part;
          } else
            for (const raw of limiter.push(part)) {
              const out = limiter.cut ? withCountedUsage(raw, limiter, body!) : raw;
              if (observer && isTerminal(out)) notify(observer, out);
              yield out;
            }
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
      for (const out of limiter ? limiter.push(part) : [part]) {
        if (observer && isTerminal(out)) notify(observer, out);
        yield out;
      }
    }
  } finally {
    // Also when the client went away and the consumer stopped iterating.
    observer?.turnEnded();
  }
}

function isTerminal(part: StreamPart): boolean {
  return part.type === "finish" || part.type === "error";
}

function notify(observer: TurnObserver, part: StreamPart): void {
  if (part.type === "finish") {
    if (part.usage) observer.usage(part.usage);
  } else if (part.type === "error") observer.failed(part.code ?? "upstream_error");
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
