// Token refreshes on Workers: the account's Durable Object refreshes once for every isolate, saves the rotated
// tokens (sealed with TOKEN_ENCRYPTION_KEY) in its storage and in KV, and isolates use KV's copy afterwards.

import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createWorkerHandler } from "../../src/worker/index.ts";
import {
  cachedDocument,
  chatRequest,
  executionContext,
  login,
  seed,
  storedValues,
  timesPresented,
} from "./helpers.ts";

/** A fresh isolate: its own app, nothing held in memory. */
const isolate = () => createWorkerHandler();

async function chat(handler: ReturnType<typeof isolate>, text: string) {
  const res = await handler.fetch(chatRequest(text), env, executionContext());
  return { status: res.status, body: (await res.json()) as { choices?: { message: { content: string } }[] } };
}

describe("token refresh through the Durable Object", () => {
  it("refreshes an expired token once, persists it sealed to storage and KV, and isolates read KV after", async () => {
    const expired = await login(-60);
    await seed(expired);

    const first = await chat(isolate(), "after refresh");
    expect(first.status).toBe(200);
    expect(first.body.choices![0]!.message.content).toMatch(/Echo: after refresh$/);
    expect(await timesPresented(expired.tokens.refresh_token)).toBe(1);

    const cached = await cachedDocument();
    expect(cached!.tokens.access_token).not.toBe(expired.tokens.access_token);
    expect(cached!.tokens.refresh_token).not.toBe(expired.tokens.refresh_token);
    const { kv, durableObject } = await storedValues();
    // Sealed, and one value in both places: KV is the Durable Object's write-through cache.
    expect(kv).toMatch(/^crs1\./);
    expect(kv).not.toContain(cached!.tokens.refresh_token);
    expect(kv).not.toContain("refresh_token");
    expect(durableObject).toBe(kv);

    // Another isolate starts from KV and needs no refresh.
    expect((await chat(isolate(), "second isolate")).status).toBe(200);
    expect(await timesPresented(cached!.tokens.refresh_token)).toBe(0);
  });

  it("30 concurrent requests on an expired token, spread over 3 isolates, cause exactly one refresh", async () => {
    const expired = await login(-60);
    await seed(expired);
    const isolates = [isolate(), isolate(), isolate()];
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => chat(isolates[i % 3]!, `concurrent ${i}`)),
    );
    expect(results.map((r) => r.status)).toEqual(Array(30).fill(200));
    results.forEach((r, i) =>
      expect(r.body.choices![0]!.message.content).toMatch(new RegExp(`concurrent ${i}$`)),
    );
    expect(await timesPresented(expired.tokens.refresh_token)).toBe(1);
    const cached = await cachedDocument();
    expect(await timesPresented(cached!.tokens.refresh_token)).toBe(0);
  });

  it("an access token the backend rejects (401) is refreshed once through the Durable Object and the request retried", async () => {
    const signIn = await login(3600);
    // Not expired by its claims, but unknown to the backend: revoked, as far as the relay can tell.
    const revoked = {
      ...signIn,
      tokens: { ...signIn.tokens, access_token: `${signIn.tokens.access_token}x` },
    };
    await seed(revoked);
    const res = await chat(isolate(), "after a 401");
    expect(res.status).toBe(200);
    expect(res.body.choices![0]!.message.content).toMatch(/Echo: after a 401$/);
    expect(await timesPresented(signIn.tokens.refresh_token)).toBe(1);
    expect((await cachedDocument())!.tokens.access_token).not.toBe(revoked.tokens.access_token);
  });

  it("a Durable Object that cannot be reached gives a 503 that says so, not a bare 500", async () => {
    await seed(await login(-60)); // KV's copy is expired: the isolate must ask the object
    const unreachable = {
      idFromName: (name: string) => env.TOKEN_REFRESHER.idFromName(name),
      get: () => ({ getCredentials: () => Promise.reject(new Error("Durable Object is overloaded")) }),
    };
    const res = await isolate().fetch(
      chatRequest("no refresher"),
      { ...env, TOKEN_REFRESHER: unreachable as unknown as typeof env.TOKEN_REFRESHER },
      executionContext(),
    );
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("5");
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("token_store_unreachable");
    expect(body.error.message).toMatch(/token refresher/);
  });

  it("a wrong TOKEN_ENCRYPTION_KEY fails the request with a message naming it and leaves the stored tokens as they are", async () => {
    await seed(await login(3600));
    const before = await storedValues();
    const wrongKey = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
    const res = await isolate().fetch(
      chatRequest("wrong key"),
      { ...env, TOKEN_ENCRYPTION_KEY: wrongKey },
      executionContext(),
    );
    expect(res.status).toBe(500);
    const body = (await res.json()) as { error: { message: string } };
    expect(body.error.message).toContain("TOKEN_ENCRYPTION_KEY");
    expect(await storedValues()).toEqual(before);
  });

  it("a missing TOKEN_ENCRYPTION_KEY fails the first request with a message naming it", async () => {
    const { TOKEN_ENCRYPTION_KEY: _unset, ...withoutKey } = env;
    const res = await isolate().fetch(chatRequest("no key"), withoutKey as typeof env, executionContext());
    expect(res.status).toBe(500);
    const body = (await res.json()) as { error: { message: string; code: string } };
    expect(body.error.code).toBe("invalid_configuration");
    expect(body.error.message).toMatch(/TOKEN_ENCRYPTION_KEY: is not set/);
  });

  it("CHATGPT_ACCESS_TOKEN is used as it is, without a store and so without TOKEN_ENCRYPTION_KEY", async () => {
    const signIn = await login(3600);
    const { TOKEN_ENCRYPTION_KEY: _unset, OPENAI_CODEX_AUTH: _none, ...rest } = env;
    const staticEnv = { ...rest, CHATGPT_ACCESS_TOKEN: signIn.tokens.access_token } as typeof env;
    const res = await isolate().fetch(chatRequest("static token"), staticEnv, executionContext());
    expect(res.status).toBe(200);
    expect(await timesPresented(signIn.tokens.refresh_token)).toBe(0);
  });
});
