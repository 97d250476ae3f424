// The sign-in errors people actually hit, through a real relay: a refresh token another program already used, an
// auth.json that holds only an API key, and a damaged auth.json. Each gives the client a clear 401 naming the file
// (or the cause) and the fix, never a 500, and the relay's log says it once, not once per request.

import { afterEach, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeUpstream, type FakeUpstream } from "../fakes/server.ts";
import { startServer, type RunningServer } from "../../src/node/server.ts";
import type { Logger } from "../../src/core/logger.ts";

let fake: FakeUpstream | undefined;
let relay: RunningServer | undefined;
let dir: string | undefined;
afterEach(async () => {
  await relay?.close();
  await fake?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  relay = fake = dir = undefined;
});

function recordingLogger(lines: string[]): Logger {
  const rec = (level: string) => (obj: object, msg?: string) =>
    lines.push(`${level} ${msg} ${JSON.stringify(obj)}`);
  return { debug: () => {}, info: rec("info"), warn: rec("warn"), error: rec("error") };
}

async function relayWithAuthJson(content: string, lines: string[]): Promise<{ url: string; path: string }> {
  fake = await startFakeUpstream();
  dir = mkdtempSync(join(tmpdir(), "codex-relay-signin-"));
  const path = join(dir, "auth.json");
  writeFileSync(path, content, { mode: 0o600 });
  relay = await startServer({
    env: { ...fake.env(), CODEX_HOME: dir, CODEX_RELAY_HOME: join(dir, "relay") },
    port: 0,
    logger: recordingLogger(lines),
  });
  return { url: relay.url, path };
}

const chat = (url: string) =>
  fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "gpt-5.5", messages: [{ role: "user", content: "hi" }] }),
  });

describe.each([
  {
    name: "an auth.json with only an API key (codex login --with-api-key)",
    content: JSON.stringify({ auth_mode: "apikey", OPENAI_API_KEY: "sk-proj-secret-key-123", tokens: null }),
    says: ["holds only an OpenAI API key", "`codex login --with-api-key`", "`codex-relay login`"],
  },
  {
    name: "a damaged auth.json",
    content: '{"tokens": {"access_token": "eyJhbGciOi',
    says: ["is not valid JSON (the file is damaged)", "`codex-relay login`", "restore the file"],
  },
])("$name", ({ content, says }) => {
  it("clients get a 401 naming the file and the fix; /health says sign in; the log says it once", async () => {
    const lines: string[] = [];
    const { url, path } = await relayWithAuthJson(content, lines);
    for (let i = 0; i < 3; i++) {
      const res = await chat(url);
      expect(res.status).toBe(401);
      const body = (await res.json()) as { error: { message: string; code: string; type: string } };
      expect(body.error).toMatchObject({ code: "auth_file_unusable", type: "authentication_error" });
      expect(body.error.message).toContain(path);
      for (const s of says) expect(body.error.message).toContain(s);
    }
    // The Ollama dialect gets the same answer in its own shape.
    const ollama = await fetch(`${url}/api/chat`, {
      method: "POST",
      body: JSON.stringify({ model: "gpt-5.5", messages: [{ role: "user", content: "hi" }], stream: false }),
    });
    expect(ollama.status).toBe(401);
    expect(((await ollama.json()) as { error: string }).error).toContain(path);

    for (let i = 0; i < 2; i++) {
      const health = await fetch(`${url}/health`);
      expect(health.status).toBe(503);
      const h = (await health.json()) as { reason: string; tokens: { lastError: { message: string } } };
      expect(h.reason).toBe("sign_in_required");
      expect(h.tokens.lastError.message).toContain(path);
    }
    const mentions = lines.filter((l) => l.includes(path));
    expect(mentions, lines.join("\n")).toHaveLength(1);
    expect(lines.join("\n")).not.toContain("sk-proj-secret-key-123");
    expect(lines.join("\n")).not.toContain("eyJhbGciOi");
  });
});

describe("refresh_token_reused", () => {
  it("says another program refreshed the sign-in and how to give the relay its own", async () => {
    const lines: string[] = [];
    fake = await startFakeUpstream();
    const doc = fake.issuer.login({ ttlSeconds: 30 }); // inside the refresh window
    // The Codex CLI (or a second copy of the file) refreshed first: this refresh token is spent.
    fake.issuer.failAllRefreshes("refresh_token_reused");
    const { url } = await (async () => {
      dir = mkdtempSync(join(tmpdir(), "codex-relay-reused-"));
      writeFileSync(join(dir, "auth.json"), JSON.stringify(doc), { mode: 0o600 });
      relay = await startServer({
        env: { ...fake!.env(), CODEX_HOME: dir, CODEX_RELAY_HOME: join(dir, "relay") },
        port: 0,
        logger: recordingLogger(lines),
      });
      return relay;
    })();
    const res = await chat(url);
    expect(res.status).toBe(401);
    const message = ((await res.json()) as { error: { message: string } }).error.message;
    expect(message).toContain("Another program refreshed this ChatGPT sign-in (refresh_token_reused)");
    expect(message).toContain("the Codex CLI");
    expect(message).toContain("OPENAI_CODEX_AUTH");
    expect(message).toContain(
      "Sign in again with `codex-relay login`: it gives the relay a sign-in of its own",
    );
  });
});
