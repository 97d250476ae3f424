// Secrets never leak through failures: a relay process with trace logging and VERBOSE goes through every failure
// path there is — backend 5xx and resets with retries, a cut and a stalled stream, usage limit, Cloudflare, revoked
// tokens with refresh, a refresh endpoint that fails (and one that echoes the refresh token in its error), wrong
// keys — and not one byte of its output, nor of any answer it gave, may contain a token, a refresh token or the
// API key (or a long piece of one). The token file stays 0600 throughout.

import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { cloudflare403, serverError, tokenInvalidated, usageLimitReached } from "../fakes/fake-chatgpt.ts";
import { startFakeUpstream, type FakeUpstream } from "../fakes/server.ts";
import { startRelayProcess, type RelayProcess } from "../helpers/relay-process.ts";
import { MODEL } from "./helpers/http.ts";

let fake: FakeUpstream | undefined;
let relay: RelayProcess | undefined;
afterAll(async () => {
  await relay?.stop();
  await fake?.close();
});

it("no token, refresh token or API key in any log line or answer, through every failure", async () => {
  fake = await startFakeUpstream();
  const f = fake;
  const codexHome = mkdtempSync(join(tmpdir(), "codex-relay-secrets-"));
  const login = f.issuer.login({ ttlSeconds: 3600 });
  const authPath = join(codexHome, "auth.json");
  writeFileSync(authPath, JSON.stringify(login), { mode: 0o600 });
  const apiKey = "sk-relay-secret-key-9c1d7e3b5a";
  relay = await startRelayProcess({
    CODEX_HOME: codexHome,
    ...f.env(),
    VERBOSE: "true",
    LOG_LEVEL: "trace",
    OPENAI_API_KEY: apiKey,
    DEBUG_REFRESH_MIN_MS: "0", // forced refreshes in a row, each a failure path
    UPSTREAM_RETRIES: "2",
    UPSTREAM_IDLE_TIMEOUT_MS: "300",
  });
  const r = relay;
  const answers: string[] = [];
  const auth = { authorization: `Bearer ${apiKey}` };
  async function call(path: string, init: RequestInit = {}): Promise<number> {
    const res = await fetch(`${r.url}${path}`, init);
    answers.push(JSON.stringify([...res.headers.entries()]), await res.text());
    return res.status;
  }
  const chat = (extra: object = {}, headers: Record<string, string> = auth) =>
    call("/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "hello" }], ...extra }),
    });
  const ollama = () =>
    call("/api/chat", {
      method: "POST",
      headers: { "content-type": "application/json", ...auth },
      body: JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "hi" }] }),
    });
  const modeOk = () => expect(statSync(authPath).mode & 0o777).toBe(0o600);

  expect(await chat()).toBe(200);
  expect(await chat({ stream: true })).toBe(200);
  f.enqueue(serverError(503), serverError(502), serverError(500));
  expect(await chat()).toBe(502);
  f.enqueue({ kind: "reset" }, { kind: "reset" }, { kind: "reset" });
  expect(await chat({ stream: true })).toBe(502);
  f.enqueue({ kind: "cut", afterEvents: 5 });
  expect(await chat({ stream: true })).toBe(200);
  f.enqueue({ kind: "stall", afterEvents: 5 });
  expect(await ollama()).toBe(200);
  f.enqueue(usageLimitReached());
  expect(await chat()).toBe(429);
  f.enqueue(cloudflare403());
  expect(await chat()).toBe(502);
  f.enqueue(tokenInvalidated(), tokenInvalidated());
  expect(await chat()).toBe(401);
  f.issuer.revokeAccessTokens();
  expect(await chat()).toBe(200); // refresh + retry
  modeOk();
  expect(await call("/debug/refresh", { method: "POST", headers: auth })).toBe(200);
  modeOk();
  expect(await call("/debug/auth", { method: "POST", headers: auth })).toBe(200);
  expect(await call("/health")).toBe(200);
  expect(await call("/")).toBe(200);
  // Wrong keys, including one that is the real key minus its last character, and the real key in the wrong place.
  expect(await chat({}, { authorization: `Bearer ${apiKey.slice(0, -1)}` })).toBe(401);
  expect(await chat({}, { "x-api-key": `${apiKey}0` })).toBe(401);
  expect(await call(`/v1/models?key=${apiKey}`)).toBe(401);
  // A token endpoint that fails, then one that echoes the refresh token it was given in its error.
  const current = JSON.parse(readFileSync(authPath, "utf8")) as typeof login;
  f.issuer.failNextRefreshWithStatus(500, { error: "server_error", error_description: "upstream hiccup" });
  expect(await call("/debug/refresh", { method: "POST", headers: auth })).toBeGreaterThanOrEqual(400);
  f.issuer.failNextRefreshWithStatus(400, {
    error: "invalid_grant",
    error_description: `refresh token ${current.tokens.refresh_token} is not valid`,
  });
  expect(await call("/debug/refresh", { method: "POST", headers: auth })).toBeGreaterThanOrEqual(400);
  f.issuer.failAllRefreshes("refresh_token_invalidated");
  expect(await call("/debug/refresh", { method: "POST", headers: auth })).toBe(401);
  f.issuer.revokeAccessTokens();
  expect(await chat()).toBe(401);
  modeOk();
  await r.stop();

  const output = r.output();
  expect(output.length).toBeGreaterThan(2000); // it did log, a lot
  const final = JSON.parse(readFileSync(authPath, "utf8")) as typeof login;
  const secrets = new Set<string>([
    apiKey,
    login.tokens.access_token,
    login.tokens.refresh_token,
    login.tokens.id_token,
    final.tokens.access_token,
    final.tokens.refresh_token,
    final.tokens.id_token,
    ...f.issuer.refreshTokensSeen,
    ...f.requests.map((q) => (q.headers["authorization"] ?? "").replace(/^Bearer /, "")),
  ]);
  expect(secrets.size).toBeGreaterThan(8);
  const everything = [output, ...answers].join("\n");
  const leaks: string[] = [];
  for (const secret of secrets) {
    if (!secret) continue;
    if (everything.includes(secret)) leaks.push(`whole secret …${secret.slice(-6)}`);
    // Not even a long piece of it (the payload of a JWT, a prefix of the key).
    for (const piece of secret.split("."))
      if (piece.length > 20 && everything.includes(piece)) leaks.push(`piece …${piece.slice(-6)}`);
    if (secret.length > 16 && everything.includes(secret.slice(0, 16)))
      leaks.push(`prefix of …${secret.slice(-6)}`);
  }
  expect(leaks).toEqual([]);
}, 60_000);
