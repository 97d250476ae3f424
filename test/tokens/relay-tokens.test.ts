// The token lifecycle seen from a client of the relay: refresh before expiry with one call for a burst, refresh
// and retry on a backend 401, the rotated token persisted in the Codex CLI's layout, and a clear "sign in again"
// when the refresh token is dead.

import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { startTestRelay, type TestRelay } from "../helpers/relay.ts";

let t: TestRelay | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

function sdk(url: string) {
  return new OpenAI({ baseURL: `${url}/v1`, apiKey: "unused", maxRetries: 0 });
}

function authFile(codexHome: string) {
  return JSON.parse(readFileSync(join(codexHome, "auth.json"), "utf8")) as {
    tokens: { access_token: string; refresh_token: string; id_token: string; account_id: string };
    last_refresh: string;
    auth_mode?: string;
  };
}

describe("token lifecycle through the relay", () => {
  it("refreshes once for a burst of 50 concurrent requests while the token expires", async () => {
    // The access token expires in 60 s: inside the 5-minute window, so the first request refreshes.
    t = await startTestRelay({ ttlSeconds: 60 });
    t.fake.issuer.refreshDelayMs = 150;
    const before = authFile(t.codexHome);
    const client = sdk(t.url);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        client.chat.completions.create({
          model: "gpt-5.5",
          messages: [{ role: "user", content: `request ${i}` }],
        }),
      ),
    );
    expect(results.every((r) => r.choices[0]!.message.content!.includes("request"))).toBe(true);
    expect(t.fake.issuer.refreshCalls).toBe(1);
    // The rotated tokens are on disk, in the Codex CLI's layout, mode 0600.
    const after = authFile(t.codexHome);
    expect(after.tokens.refresh_token).not.toBe(before.tokens.refresh_token);
    expect(after.tokens.access_token).not.toBe(before.tokens.access_token);
    expect(after.tokens.account_id).toBe(before.tokens.account_id);
    expect(after.auth_mode).toBe("chatgpt");
    expect(Date.parse(after.last_refresh)).toBeGreaterThan(Date.parse(before.last_refresh) - 1);
    expect(statSync(join(t.codexHome, "auth.json")).mode & 0o777).toBe(0o600);
    // Every request after the refresh used the new token.
    const used = new Set(t.fake.requests.map((r) => r.headers["authorization"]));
    expect(used).toEqual(new Set([`Bearer ${after.tokens.access_token}`]));
  });

  it("refreshes and retries once when the backend answers 401", async () => {
    t = await startTestRelay();
    t.fake.issuer.revokeAccessTokens();
    const r = await sdk(t.url).chat.completions.create({
      model: "gpt-5.5",
      messages: [{ role: "user", content: "hello" }],
    });
    expect(r.choices[0]!.message.content).toContain("hello");
    expect(t.fake.issuer.refreshCalls).toBe(1);
    expect(t.fake.counters.responses).toBe(2);
  });

  it.each(["refresh_token_reused", "refresh_token_expired", "refresh_token_invalidated"] as const)(
    "answers 401 'sign in again' and shows it on /health after %s",
    async (code) => {
      t = await startTestRelay({ ttlSeconds: 10 });
      t.fake.issuer.failAllRefreshes(code);
      const res = await fetch(`${t.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "gpt-5.5", messages: [{ role: "user", content: "x" }] }),
      });
      expect(res.status).toBe(401);
      const body = (await res.json()) as { error: { message: string; code: string } };
      expect(body.error.message).toMatch(/sign in again/i);
      expect(body.error.message).toContain(code);
      const health = (await (await fetch(`${t.url}/health`)).json()) as {
        status: string;
        tokens: { lastError: { needsSignIn: boolean } };
      };
      expect(health.status).toBe("sign_in_required");
      expect(health.tokens.lastError.needsSignIn).toBe(true);
      expect(t.fake.counters.responses).toBe(0);
    },
  );

  it("forces a refresh through POST /debug/refresh and reports the state without secrets", async () => {
    // No OPENAI_API_KEY here, so the debug routes must be enabled explicitly.
    t = await startTestRelay({ env: { DEBUG_ROUTES: "true" } });
    const before = authFile(t.codexHome);
    const res = await fetch(`${t.url}/debug/refresh`, { method: "POST" });
    expect(res.status).toBe(200);
    const text = await res.text();
    const after = authFile(t.codexHome);
    expect(after.tokens.refresh_token).not.toBe(before.tokens.refresh_token);
    for (const secret of [
      after.tokens.access_token,
      after.tokens.refresh_token,
      after.tokens.id_token,
      before.tokens.refresh_token,
    ]) {
      expect(text).not.toContain(secret);
    }
    const status = JSON.parse(text) as { tokens: { refreshCount: number; accountId: string } };
    expect(status.tokens.refreshCount).toBe(1);
    expect(status.tokens.accountId).toBe(after.tokens.account_id);
  });

  it("serves a CHATGPT_ACCESS_TOKEN as is and says how to replace it once it has expired", async () => {
    const fake = (await import("../fakes/server.ts")).startFakeUpstream;
    const f = await fake();
    const doc = f.issuer.login({ ttlSeconds: 3600 });
    t = await startTestRelay({
      fake: f,
      signedOut: true,
      env: { CHATGPT_ACCESS_TOKEN: doc.tokens.access_token },
    });
    const ok = await sdk(t.url).chat.completions.create({
      model: "gpt-5.5",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(ok.choices[0]!.message.content).toContain("hi");
    await t.close();
    const expired = f.issuer.login({ ttlSeconds: -10 });
    t = await startTestRelay({
      fake: f,
      signedOut: true,
      env: { CHATGPT_ACCESS_TOKEN: expired.tokens.access_token },
    });
    const res = await fetch(`${t.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-5.5", messages: [{ role: "user", content: "x" }] }),
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(
      /CHATGPT_ACCESS_TOKEN/,
    );
    await f.close();
  });
});
