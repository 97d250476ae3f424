// An in-process relay for fuzzing: the real createRelay + createApp (real CodexClient, SSE parser, normalizer,
// translators), with `fetch` replaced by a function that plays the backend without a socket. The backend checks
// every body the relay sends exactly as the fake ChatGPT backend does (FakeChatGpt.validate) and answers an echo of
// the last user text in two deltas (no reasoning: cheap). Thousands of requests a second, no network.

import { createApp } from "../../../src/app.ts";
import { loadConfig } from "../../../src/config.ts";
import { silentLogger } from "../../../src/core/logger.ts";
import { createMemoryStore } from "../../../src/auth/memory-store.ts";
import type { AuthDocument, TokenStore } from "../../../src/auth/types.ts";
import { createRelay, type Relay } from "../../../src/relay.ts";
import { FakeChatGpt, lastUserText, streamEvents } from "../../fakes/fake-chatgpt.ts";
import { FakeIssuer } from "../../fakes/fake-oauth.ts";
import type { Scenario, StreamScenario } from "../../fakes/scenarios.ts";

const BASE = "http://stub.invalid/backend-api/codex";

export interface StubBackendCall {
  body: unknown;
  /** The fake's validation verdict: null when the real backend would accept the body. */
  invalid: string | null;
}

export interface InProcessRelay {
  relay: Relay;
  app: ReturnType<typeof createApp>;
  /** Every POST /responses the relay made, with the fake's verdict. */
  calls: StubBackendCall[];
  /** Replies for the next backend calls (default: the fake's echo). Only streamed scenarios and `http`. */
  enqueue(...s: Scenario[]): void;
  request(path: string, init?: RequestInit): Promise<Response>;
}

export function inProcessRelay(
  env: Record<string, string> = {},
  options: { store?: (login: AuthDocument) => TokenStore } = {},
): InProcessRelay {
  const issuer = new FakeIssuer();
  const backend = new FakeChatGpt({ issuer });
  const login = issuer.login({ ttlSeconds: 24 * 3600 });
  const config = loadConfig({
    OPENAI_CODEX_AUTH: JSON.stringify(login),
    CHATGPT_RESPONSES_URL: `${BASE}/responses`,
    LOG_LEVEL: "silent",
    ...env,
  });
  const calls: StubBackendCall[] = [];
  const queue: Scenario[] = [];
  const modelsJson = JSON.stringify({ models: backend.models });
  const encoder = new TextEncoder();

  const stubFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = String(input instanceof Request ? input.url : input);
    if (url.startsWith(`${BASE}/models`)) {
      return new Response(modelsJson, { status: 200, headers: { "content-type": "application/json" } });
    }
    if (!url.startsWith(`${BASE}/responses`)) throw new TypeError(`stub backend: unexpected fetch of ${url}`);
    const text = typeof init?.body === "string" ? init.body : "";
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
    const invalid = backend.validate(body);
    calls.push({ body, invalid });
    if (invalid) return Response.json({ detail: invalid }, { status: 400 });
    const request = body as Record<string, unknown>;
    const scripted = queue.shift();
    if (scripted?.kind === "http") {
      const b = scripted.body;
      return new Response(typeof b === "string" ? b : JSON.stringify(b ?? {}), {
        status: scripted.status,
        headers: scripted.headers,
      });
    }
    const scenario: StreamScenario =
      scripted && isStream(scripted)
        ? scripted
        : { kind: "text", text: `Echo: ${lastUserText(request.input)}`, deltas: 2 };
    const events = streamEvents(scenario, {
      model: String(request.model),
      body: request,
      includeEncrypted: false,
      inputTokens: Math.ceil(text.length / 4),
      completedOutput: "empty",
      defaultText: `Echo: ${lastUserText(request.input)}`,
    });
    const signal = init?.signal;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (signal?.aborted) {
          controller.error(signal.reason);
          return;
        }
        const next = events.next();
        if (next.done) controller.close();
        else {
          const e = next.value;
          controller.enqueue(encoder.encode(`event: ${String(e.type)}\ndata: ${JSON.stringify(e)}\n\n`));
        }
      },
    });
    return new Response(stream, { status: 200, headers: { "content-type": "text/event-stream" } });
  };

  const relay = createRelay(config, {
    store: options.store ? options.store(login as unknown as AuthDocument) : createMemoryStore(),
    logger: silentLogger,
    fetch: stubFetch as typeof fetch,
    retryBaseMs: 1,
  });
  const app = createApp(relay);
  return {
    relay,
    app,
    calls,
    enqueue: (...s) => queue.push(...s),
    request: (path, init) => Promise.resolve(app.request(path, init)),
  };
}

function isStream(s: Scenario): s is StreamScenario {
  return (
    s.kind === "text" ||
    s.kind === "tool_calls" ||
    s.kind === "failed" ||
    s.kind === "incomplete" ||
    s.kind === "events"
  );
}
