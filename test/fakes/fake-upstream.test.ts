// Tests of the test tool: the fake backend and issuer over real loopback HTTP.

import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { cloudflare403, overloaded, UNSUPPORTED_PARAMETERS, usageLimitReached } from "./fake-chatgpt.ts";
import type { AuthDotJson } from "./fake-oauth.ts";
import { decodeJwtPayload, mintJwt, accessTokenClaims } from "./jwt.ts";
import { loadRecorded, RECORDED } from "../helpers/recorded.ts";
import { startFakeUpstream, type FakeUpstream } from "./server.ts";

let fake: FakeUpstream;
let auth: AuthDotJson;

beforeAll(async () => {
  fake = await startFakeUpstream();
  auth = fake.issuer.login();
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

type Sse = { event: string | undefined; data: Record<string, unknown> };

function parseSse(text: string): Sse[] {
  return text
    .split("\n\n")
    .filter((f) => f.trim() !== "")
    .map((f) => {
      const lines = f.split("\n");
      const event = lines.find((l) => l.startsWith("event: "))?.slice(7);
      const data = lines.find((l) => l.startsWith("data: "))?.slice(6) ?? "null";
      return { event, data: JSON.parse(data) as Record<string, unknown> };
    });
}

function body(extra: Record<string, unknown> = {}, text = "hello there"): Record<string, unknown> {
  return {
    model: "gpt-5.5",
    instructions: "Be brief.",
    input: [{ type: "message", role: "user", content: [{ type: "input_text", text }] }],
    store: false,
    stream: true,
    ...extra,
  };
}

function post(payload: unknown, headers: Record<string, string> = {}, doc = auth, signal?: AbortSignal) {
  return fetch(fake.responsesUrl, {
    method: "POST",
    headers: {
      authorization: `Bearer ${doc.tokens.access_token}`,
      "chatgpt-account-id": doc.tokens.account_id,
      "content-type": "application/json",
      ...headers,
    },
    body: typeof payload === "string" ? payload : JSON.stringify(payload),
    signal,
  });
}

async function events(payload: unknown): Promise<Sse[]> {
  const res = await post(payload);
  expect(res.status).toBe(200);
  return parseSse(await res.text());
}

const types = (evs: Sse[]) => evs.map((e) => e.data.type);

function expectWellFormed(evs: Sse[]): void {
  evs.forEach((e, i) => {
    expect(e.event).toBe(e.data.type);
    expect(e.data.sequence_number).toBe(i);
  });
}

describe("validation", () => {
  const cases: [string, unknown, string][] = [
    ["a non-object body", [1, 2], "Request body must be a JSON object"],
    [
      "a missing store",
      (() => {
        const b = body();
        delete b.store;
        return b;
      })(),
      "Store must be set to false",
    ],
    ["store true", body({ store: true }), "Store must be set to false"],
    ["stream false", body({ stream: false }), "Stream must be set to true"],
    ["a string input", body({ input: "hi" }), "Input must be a list"],
    [
      "an unknown model",
      body({ model: "gpt-4o" }),
      "The 'gpt-4o' model is not supported when using Codex with a ChatGPT account.",
    ],
    [
      "a nested (chat-style) tool",
      body({ tools: [{ type: "function", function: { name: "f", parameters: {} } }] }),
      "Missing required parameter: 'tools[0].name'.",
    ],
    [
      "an item_reference",
      body({ input: [{ type: "item_reference", id: "msg_1" }] }),
      "Item with id 'msg_1' not found.",
    ],
    ...UNSUPPORTED_PARAMETERS.map((p): [string, unknown, string] => [
      p,
      body({ [p]: 1 }),
      `Unsupported parameter: ${p}`,
    ]),
  ];
  it.each(cases)("rejects %s with 400 {detail}", async (_name, payload, detail) => {
    const res = await post(payload);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { detail: string }).detail).toContain(detail);
  });

  it("accepts flat tools, input ids and no instructions; demands instructions only when configured", async () => {
    const ok = body({
      tools: [
        { type: "function", name: "f", description: "d", strict: false, parameters: { type: "object" } },
      ],
      input: [{ type: "message", id: "msg_abc", role: "user", content: [{ type: "input_text", text: "x" }] }],
    });
    delete ok.instructions;
    expect((await post(ok)).status).toBe(200);
    fake.backend.requireInstructions = true;
    try {
      const res = await post(ok);
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ detail: "Instructions are required" });
    } finally {
      fake.backend.requireInstructions = false;
    }
  });
});

describe("authentication", () => {
  it("answers 401 token_expired for an expired access token", async () => {
    const expired = fake.issuer.login({ ttlSeconds: -10 });
    const res = await post(body(), {}, expired);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({
      error: {
        message: "Provided authentication token is expired. Please try signing in again.",
        type: "invalid_request_error",
        code: "token_expired",
        param: null,
      },
      status: 401,
    });
  });

  it("answers 401 token_invalidated for revoked and unknown tokens", async () => {
    const doc = fake.issuer.login();
    expect((await post(body(), {}, doc)).status).toBe(200);
    fake.issuer.revokeAccessTokens();
    const revoked = await post(body(), {}, doc);
    expect(revoked.status).toBe(401);
    expect(((await revoked.json()) as { error: { code: string } }).error.code).toBe("token_invalidated");
    const forged = mintJwt(accessTokenClaims({ accountId: doc.tokens.account_id }));
    const unknown = await post(body(), { authorization: `Bearer ${forged}` });
    expect(unknown.status).toBe(401);
    expect(((await unknown.json()) as { error: { message: string } }).error.message).toBe(
      "Your authentication token has been invalidated. Please try signing in again.",
    );
    auth = fake.issuer.login();
  });

  it("answers 403 {detail} for a missing or foreign ChatGPT-Account-ID, 401 without a bearer", async () => {
    const wrong = await post(body(), { "chatgpt-account-id": "someone-else" });
    expect(wrong.status).toBe(403);
    expect(await wrong.json()).toHaveProperty("detail");
    const res = await fetch(fake.responsesUrl, {
      method: "POST",
      headers: { authorization: `Bearer ${auth.tokens.access_token}` },
      body: JSON.stringify(body()),
    });
    expect(res.status).toBe(403);
    const none = await fetch(fake.responsesUrl, { method: "POST", body: JSON.stringify(body()) });
    expect(none.status).toBe(401);
    expect(fake.counters.responses).toBe(3);
  });
});

describe("streams", () => {
  it("text: real event order, increasing sequence_number, headers, empty completed output, usage", async () => {
    fake.enqueue({ kind: "text", text: "one two three", usage: { input_tokens: 10, output_tokens: 3 } });
    const res = await post(body());
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    for (const h of [
      "x-codex-primary-used-percent",
      "x-codex-primary-reset-at",
      "x-codex-primary-reset-after-seconds",
      "x-codex-secondary-used-percent",
      "x-codex-secondary-reset-at",
      "x-codex-secondary-reset-after-seconds",
      "x-codex-plan-type",
      "x-codex-credits-has-credits",
      "x-request-id",
    ]) {
      expect(res.headers.get(h), h).toBeTruthy();
    }
    expect(res.headers.get("openai-model")).toBe("gpt-5.5");
    const text = await res.text();
    expect(text).not.toContain("[DONE]");
    const evs = parseSse(text);
    expectWellFormed(evs);
    expect(types(evs)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.delta",
      "response.output_text.delta",
      "response.output_text.delta",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    const item = evs[9]!.data.item as { id: string; phase: string; content: { text: string }[] };
    expect(item.id).toMatch(/^msg_/);
    expect(item.phase).toBe("final_answer");
    expect(item.content[0]!.text).toBe("one two three");
    const completed = evs.at(-1)!.data.response as Record<string, unknown>;
    expect(completed.id).toMatch(/^resp_/);
    expect(completed.output).toEqual([]);
    expect(completed.usage).toEqual({
      input_tokens: 10,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 3,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 13,
    });
  });

  it("reasoning: summary parts with summary_index, then the message at output_index 1", async () => {
    fake.enqueue({ kind: "text", text: "Answer.", reasoning: ["First.", "Second thought."] });
    const evs = await events(
      body({ reasoning: { effort: "high", summary: "auto" }, include: ["reasoning.encrypted_content"] }),
    );
    expectWellFormed(evs);
    const t = types(evs);
    expect(t.slice(0, 7)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.reasoning_summary_part.added",
      "response.reasoning_summary_text.delta",
      "response.reasoning_summary_text.done",
      "response.reasoning_summary_part.done",
    ]);
    const deltas = evs.filter((e) => e.data.type === "response.reasoning_summary_text.delta");
    expect(deltas.map((e) => e.data.summary_index)).toEqual([0, 1, 1]);
    const done = evs.find((e) => e.data.type === "response.output_item.done")!.data;
    const rs = done.item as { id: string; encrypted_content: string; summary: unknown[] };
    expect(rs.id).toMatch(/^rs_/);
    expect(rs.encrypted_content).toMatch(/^gAAAAAB/);
    expect(rs.summary).toEqual([
      { type: "summary_text", text: "First." },
      { type: "summary_text", text: "Second thought." },
    ]);
    const msg = evs.filter((e) => e.data.type === "response.output_text.delta");
    expect(msg.every((e) => e.data.output_index === 1)).toBe(true);
  });

  it("tool calls: parallel calls with their own fc_/call_ ids and streamed arguments", async () => {
    fake.enqueue({
      kind: "tool_calls",
      calls: [
        { name: "get_weather", arguments: { city: "Paris" } },
        { name: "get_time", arguments: '{"tz":"UTC"}', callId: "call_fixed" },
      ],
      argDeltas: 3,
    });
    const evs = await events(body());
    expectWellFormed(evs);
    const added = evs.filter((e) => e.data.type === "response.output_item.added").map((e) => e.data);
    expect(added.map((a) => a.output_index)).toEqual([0, 1]);
    expect((added[0]!.item as { arguments: string }).arguments).toBe("");
    const done = evs.filter((e) => e.data.type === "response.output_item.done").map((e) => e.data.item);
    const [a, b] = done as { id: string; call_id: string; name: string; arguments: string }[];
    expect(a!.id).toMatch(/^fc_/);
    expect(a!.id).not.toBe(b!.id);
    expect(a!.call_id).toMatch(/^call_/);
    expect(b!.call_id).toBe("call_fixed");
    expect(JSON.parse(a!.arguments)).toEqual({ city: "Paris" });
    const argDeltas = evs.filter(
      (e) => e.data.type === "response.function_call_arguments.delta" && e.data.output_index === 0,
    );
    expect(argDeltas).toHaveLength(3);
    expect(argDeltas.map((e) => e.data.delta).join("")).toBe(a!.arguments);
    expect(types(evs).at(-1)).toBe("response.completed");
  });

  it("failed (with the error event) and incomplete terminal events", async () => {
    fake.enqueue({ kind: "failed", code: "insufficient_quota", message: "No quota.", withErrorEvent: true });
    const failed = await events(body());
    expectWellFormed(failed);
    expect(types(failed)).toEqual(["response.created", "response.in_progress", "error", "response.failed"]);
    expect((failed[3]!.data.response as { error: unknown }).error).toEqual({
      code: "insufficient_quota",
      message: "No quota.",
    });

    fake.enqueue({ kind: "incomplete", reason: "max_output_tokens", text: "partial" });
    const inc = await events(body());
    const last = inc.at(-1)!.data;
    expect(last.type).toBe("response.incomplete");
    expect((last.response as { incomplete_details: unknown }).incomplete_details).toEqual({
      reason: "max_output_tokens",
    });
  });

  it("default reply echoes the last user text, with a summary when reasoning asks for one", async () => {
    const evs = await events(body({ reasoning: { effort: "low", summary: "auto" } }, "ping"));
    const msg = evs.filter((e) => e.data.type === "response.output_item.done").map((e) => e.data.item) as {
      type: string;
      content?: { text: string }[];
      summary?: unknown[];
    }[];
    expect(msg.map((m) => m.type)).toEqual(["reasoning", "message"]);
    expect(msg[0]!.summary).toHaveLength(1);
    expect(msg[1]!.content![0]!.text).toBe("Echo: ping");
  });

  it("delayMs: frames are written as produced, the first long before the last", async () => {
    fake.enqueue({ kind: "text", text: "a b c d e", delayMs: 40 });
    const started = Date.now();
    const res = await post(body());
    const reader = res.body!.getReader();
    const first = await reader.read();
    const firstAt = Date.now() - started;
    expect(new TextDecoder().decode(first.value)).toContain("response.created");
    while (!(await reader.read()).done);
    expect(Date.now() - started - firstAt).toBeGreaterThan(200);
  });

  it("replays recorded events verbatim", async () => {
    const recorded = loadRecorded(RECORDED.toolCall);
    fake.enqueue({ kind: "events", events: recorded });
    const evs = await events(body());
    expect(evs.map((e) => e.data)).toEqual(recorded);
  });
});

describe("in-band directive", () => {
  it("scripts the reply from [[fake <json>]] in the last user message", async () => {
    const evs = await events(body({}, 'please [[fake {"kind":"text","deltas":5}]]'));
    expect(evs.filter((e) => e.data.type === "response.output_text.delta")).toHaveLength(5);
    const limited = await post(
      body({}, '[[fake {"kind":"http","status":429,"body":{"error":{"type":"usage_limit_reached"}}}]]'),
    );
    expect(limited.status).toBe(429);
    const bad = await post(body({}, "[[fake {nope}]]"));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { detail: string }).detail).toMatch(/directive/);
  });
});

describe("error presets and broken connections", () => {
  it("usageLimitReached: 429 body and rate-limit headers with the primary window at 100%", async () => {
    fake.enqueue(usageLimitReached({ resetsInSeconds: 1800, planType: "pro" }));
    const res = await post(body());
    expect(res.status).toBe(429);
    expect(res.headers.get("x-codex-primary-used-percent")).toBe("100");
    expect(res.headers.get("x-codex-primary-reset-after-seconds")).toBe("1800");
    const resetAt = Number(res.headers.get("x-codex-primary-reset-at"));
    expect(Math.abs(resetAt - (Date.now() / 1000 + 1800))).toBeLessThan(5);
    expect(res.headers.get("x-codex-plan-type")).toBe("pro");
    const err = ((await res.json()) as { error: Record<string, unknown> }).error;
    expect(err).toMatchObject({
      type: "usage_limit_reached",
      message: "The usage limit has been reached",
      plan_type: "pro",
      resets_in_seconds: 1800,
    });
    expect(err.resets_at).toBe(resetAt);
  });

  it("overloaded and Cloudflare presets", async () => {
    fake.enqueue(overloaded(), cloudflare403());
    const o = await post(body());
    expect(o.status).toBe(503);
    expect(((await o.json()) as { error: { code: string } }).error.code).toBe("server_is_overloaded");
    const cf = await post(body());
    expect(cf.status).toBe(403);
    expect(cf.headers.get("content-type")).toMatch(/text\/html/);
    expect(await cf.text()).toContain("Just a moment");
  });

  it("cut: the body ends in an error without a terminal event; reset: fetch fails", async () => {
    fake.enqueue({ kind: "cut", afterEvents: 4, of: { kind: "text", text: "a b c d e f g" } });
    const res = await post(body());
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
    fake.enqueue({ kind: "reset" });
    await expect(post(body())).rejects.toThrow();
    expect(fake.counters.closedEarly).toBe(0);
  });

  it("stall: a client abort is observed as closedEarly", async () => {
    fake.enqueue({ kind: "stall", afterEvents: 2 });
    const ctrl = new AbortController();
    const res = await post(body(), {}, auth, ctrl.signal);
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain("response.created");
    expect(fake.counters.streamsOpen).toBe(1);
    ctrl.abort();
    await fake.waitForClosedEarly(1, 3000);
    expect(fake.counters.closedEarly).toBe(1);
  });

  it("close() does not hang on a stalled stream", async () => {
    const other = await startFakeUpstream();
    const doc = other.issuer.login();
    other.enqueue({ kind: "stall", afterEvents: 0 });
    const res = await fetch(other.responsesUrl, {
      method: "POST",
      headers: {
        authorization: `Bearer ${doc.tokens.access_token}`,
        "chatgpt-account-id": doc.tokens.account_id,
      },
      body: JSON.stringify(body()),
    });
    expect(res.status).toBe(200);
    const reading = res.text();
    const started = Date.now();
    await other.close();
    expect(Date.now() - started).toBeLessThan(2000);
    await expect(reading).rejects.toThrow();
  });

  it("answers WebSocket upgrades with 426 when its WebSocket is off, and unknown paths with 404", async () => {
    fake.backend.websockets = false;
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(fake.responsesUrl, {
        headers: { connection: "Upgrade", upgrade: "websocket" },
      });
      req.on("response", (r) => {
        r.resume();
        resolve(r.statusCode ?? 0);
      });
      req.on("error", reject);
      req.end();
    });
    fake.backend.websockets = true;
    expect(status).toBe(426);
    const res = await fetch(`${fake.url}/backend-api/codex/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ detail: "Not Found" });
  });
});

describe("models", () => {
  it("serves the catalogue with an ETag, 304 on a match, and can be made to fail", async () => {
    const headers = {
      authorization: `Bearer ${auth.tokens.access_token}`,
      "chatgpt-account-id": auth.tokens.account_id,
    };
    const res = await fetch(`${fake.modelsUrl}?client_version=0.146.0`, { headers });
    expect(res.status).toBe(200);
    const etag = res.headers.get("etag")!;
    const { models } = (await res.json()) as {
      models: { slug: string; visibility: string; base_instructions: string }[];
    };
    expect(models.map((m) => m.slug)).toEqual([
      "gpt-5.5",
      "gpt-5.4",
      "gpt-5.4-mini",
      "gpt-5.3-codex",
      "codex-auto-review",
    ]);
    expect(models.find((m) => m.slug === "codex-auto-review")!.visibility).toBe("hide");
    expect(new Set(models.map((m) => m.base_instructions)).size).toBe(5);
    const again = await fetch(`${fake.modelsUrl}?client_version=0.146.0`, {
      headers: { ...headers, "if-none-match": etag },
    });
    expect(again.status).toBe(304);
    expect((await fetch(`${fake.modelsUrl}?client_version=0.146.0`)).status).toBe(401);
    fake.backend.modelsStatus = 500;
    try {
      expect((await fetch(`${fake.modelsUrl}?client_version=0.146.0`, { headers })).status).toBe(500);
    } finally {
      fake.backend.modelsStatus = undefined;
    }
    expect(fake.counters.models).toBe(4);
  });
});

describe("OAuth issuer", () => {
  async function refresh(token: string, form = false, clientId = fake.issuer.clientId) {
    const params = { client_id: clientId, grant_type: "refresh_token", refresh_token: token };
    const res = await fetch(fake.tokenUrl, {
      method: "POST",
      headers: { "content-type": form ? "application/x-www-form-urlencoded" : "application/json" },
      body: form ? new URLSearchParams(params).toString() : JSON.stringify(params),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  }

  it("login() writes the Codex CLI auth.json layout with the real claim layout", () => {
    const doc = fake.issuer.login({ accountId: "acct-9", planType: "pro", email: "a@b.c" });
    expect(Object.keys(doc)).toEqual(["auth_mode", "OPENAI_API_KEY", "tokens", "last_refresh"]);
    expect(doc.tokens.account_id).toBe("acct-9");
    const access = decodeJwtPayload(doc.tokens.access_token)!;
    expect(access.iss).toBe("https://auth.openai.com");
    expect(access["https://api.openai.com/auth"]).toMatchObject({
      chatgpt_account_id: "acct-9",
      chatgpt_plan_type: "pro",
    });
    expect(access["https://api.openai.com/profile"]).toEqual({ email: "a@b.c", email_verified: true });
    expect(decodeJwtPayload(doc.tokens.id_token)!.email).toBe("a@b.c");
    expect(fake.issuer.isAccessTokenValid(doc.tokens.access_token)).toBe(true);
  });

  it("rotates refresh tokens (JSON and form) and detects reuse", async () => {
    const doc = fake.issuer.login();
    const seenBefore = fake.issuer.refreshTokensSeen.length;
    const first = await refresh(doc.tokens.refresh_token);
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ token_type: "Bearer", expires_in: 3600 });
    const next = first.json.refresh_token as string;
    expect(next).not.toBe(doc.tokens.refresh_token);
    expect(fake.issuer.isAccessTokenValid(first.json.access_token as string)).toBe(true);

    const second = await refresh(next, true);
    expect(second.status).toBe(200);

    const reused = await refresh(doc.tokens.refresh_token);
    expect(reused.status).toBe(401);
    expect(reused.json).toEqual({
      error: {
        message:
          "Your refresh token has already been used to generate a new access token. Please try signing in again.",
        type: "invalid_request_error",
        param: null,
        code: "refresh_token_reused",
      },
    });
    expect((await refresh("rt_unknown")).json).toMatchObject({
      error: { code: "refresh_token_invalidated" },
    });
    expect((await refresh(second.json.refresh_token as string, false, "app_other")).json).toMatchObject({
      error: "invalid_client",
    });
    expect(fake.issuer.refreshTokensSeen.slice(seenBefore)).toEqual([
      doc.tokens.refresh_token,
      next,
      doc.tokens.refresh_token,
      "rt_unknown",
      second.json.refresh_token,
    ]);
  });

  it("scripted failures: permanent codes and a transient 500 that leaves the token usable", async () => {
    const doc = fake.issuer.login();
    fake.issuer.failNextRefresh("refresh_token_expired");
    expect((await refresh(doc.tokens.refresh_token)).json).toMatchObject({
      error: { code: "refresh_token_expired" },
    });
    fake.issuer.failNextRefreshWithStatus(500);
    expect((await refresh(doc.tokens.refresh_token)).status).toBe(500);
    fake.issuer.failAllRefreshes("refresh_token_invalidated");
    expect((await refresh(doc.tokens.refresh_token)).status).toBe(401);
    fake.issuer.failAllRefreshes(null);
    expect((await refresh(doc.tokens.refresh_token)).status).toBe(200);
  });

  it("overlapping refreshes with the same token: exactly one wins", async () => {
    const doc = fake.issuer.login();
    fake.issuer.refreshDelayMs = 100;
    try {
      const before = fake.issuer.successfulRefreshes;
      const results = await Promise.all([
        refresh(doc.tokens.refresh_token),
        refresh(doc.tokens.refresh_token),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual([200, 401]);
      expect(fake.issuer.successfulRefreshes - before).toBe(1);
    } finally {
      fake.issuer.refreshDelayMs = 0;
    }
  });

  it("exchanges an authorization code once (with PKCE)", async () => {
    const verifier = "v".repeat(64);
    const { createHash } = await import("node:crypto");
    const challenge = createHash("sha256").update(verifier).digest("base64url");
    const code = fake.issuer.mintAuthorizationCode({
      redirectUri: "http://localhost:1455/auth/callback",
      codeChallenge: challenge,
    });
    const form = new URLSearchParams({
      grant_type: "authorization_code",
      code,
      redirect_uri: "http://localhost:1455/auth/callback",
      client_id: fake.issuer.clientId,
      code_verifier: verifier,
    });
    const post1 = await fetch(fake.tokenUrl, { method: "POST", body: form });
    expect(post1.status).toBe(200);
    expect(await post1.json()).toHaveProperty("refresh_token");
    const post2 = await fetch(fake.tokenUrl, { method: "POST", body: form });
    expect(post2.status).toBe(400);
  });
});
