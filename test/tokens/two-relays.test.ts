// Two relay processes on one auth.json, with the access token about to expire: one refresh in all, no refresh
// token ever sent twice, both serve every request, and the file ends with the newest tokens.

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { startFakeUpstream, type FakeUpstream } from "../fakes/server.ts";
import { startRelayProcess, type RelayProcess } from "../helpers/relay-process.ts";

let fake: FakeUpstream;
const relays: RelayProcess[] = [];
afterAll(async () => {
  await Promise.all(relays.map((r) => r.stop()));
  await fake?.close();
});

it("two relay processes sharing auth.json refresh once and never reuse a refresh token", async () => {
  fake = await startFakeUpstream({ refreshDelayMs: 200 });
  const codexHome = mkdtempSync(join(tmpdir(), "codex-relay-two-"));
  writeFileSync(join(codexHome, "auth.json"), JSON.stringify(fake.issuer.login({ ttlSeconds: 30 })), {
    mode: 0o600,
  });
  const env = { CODEX_HOME: codexHome, ...fake.env() };
  relays.push(await startRelayProcess(env), await startRelayProcess(env));

  const ask = (url: string, i: number) =>
    fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-5.5", messages: [{ role: "user", content: `q${i}` }] }),
    }).then((r) => r.status);
  const statuses = await Promise.all(
    relays.flatMap((r) => Array.from({ length: 10 }, (_, i) => ask(r.url, i))),
  );
  expect(statuses).toEqual(Array(20).fill(200));

  const seen = fake.issuer.refreshTokensSeen;
  expect(new Set(seen).size).toBe(seen.length);
  expect(fake.issuer.refreshCalls).toBe(1);
  const final = JSON.parse(readFileSync(join(codexHome, "auth.json"), "utf8")) as {
    tokens: { access_token: string };
  };
  expect(fake.issuer.isAccessTokenValid(final.tokens.access_token)).toBe(true);
  const used = new Set(fake.requests.map((r) => r.headers["authorization"]));
  expect(used).toEqual(new Set([`Bearer ${final.tokens.access_token}`]));
});
