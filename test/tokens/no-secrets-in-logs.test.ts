// A full session with VERBOSE and trace logging — chats, a streamed chat, a 401 with refresh, a forced refresh,
// a failed refresh, health and debug routes — and not one byte of output may contain a token or the API key.

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { startFakeUpstream, type FakeUpstream } from "../fakes/server.ts";
import { startRelayProcess, type RelayProcess } from "../helpers/relay-process.ts";

let fake: FakeUpstream;
let relay: RelayProcess | undefined;
afterAll(async () => {
  await relay?.stop();
  await fake?.close();
});

it("never prints a token, refresh token or API key", async () => {
  fake = await startFakeUpstream();
  const codexHome = mkdtempSync(join(tmpdir(), "codex-relay-logs-"));
  const login = fake.issuer.login({ ttlSeconds: 3600 });
  writeFileSync(join(codexHome, "auth.json"), JSON.stringify(login), { mode: 0o600 });
  const apiKey = "sk-relay-test-key-5f0c2b9e7d";
  relay = await startRelayProcess({
    CODEX_HOME: codexHome,
    ...fake.env(),
    VERBOSE: "true",
    LOG_LEVEL: "trace",
    OPENAI_API_KEY: apiKey,
    DEBUG_REFRESH_MIN_MS: "0", // forced refreshes in a row, each a failure path
  });
  const headers = { "content-type": "application/json", authorization: `Bearer ${apiKey}` };
  const chat = (extra: object = {}) =>
    fetch(`${relay!.url}/v1/chat/completions`, {
      method: "POST",
      headers,
      body: JSON.stringify({ model: "gpt-5.5", messages: [{ role: "user", content: "hello" }], ...extra }),
    }).then((r) => r.text());

  await chat();
  await chat({ stream: true });
  fake.issuer.revokeAccessTokens();
  await chat();
  await fetch(`${relay.url}/debug/refresh`, { method: "POST", headers });
  await fetch(`${relay.url}/debug/auth`, { method: "POST", headers });
  await fetch(`${relay.url}/health`);
  await fetch(`${relay.url}/v1/models`, { headers: { authorization: "Bearer wrong-key-0000" } });
  fake.issuer.failAllRefreshes("refresh_token_invalidated");
  await fetch(`${relay.url}/debug/refresh`, { method: "POST", headers });
  await chat();
  await relay.stop();

  const output = relay.output();
  expect(output.length).toBeGreaterThan(200); // it did log
  const final = JSON.parse(readFileSync(join(codexHome, "auth.json"), "utf8")) as typeof login;
  const secrets = new Set<string>([
    apiKey,
    login.tokens.access_token,
    login.tokens.refresh_token,
    login.tokens.id_token,
    final.tokens.access_token,
    final.tokens.refresh_token,
    final.tokens.id_token,
    ...fake.issuer.refreshTokensSeen,
    ...fake.requests.map((r) => (r.headers["authorization"] ?? "").replace(/^Bearer /, "")),
  ]);
  for (const secret of secrets) {
    if (!secret) continue;
    expect(output).not.toContain(secret);
    // Not even a long piece of it (the JWT payload part, say).
    for (const piece of secret.split(".")) if (piece.length > 20) expect(output).not.toContain(piece);
  }
});
