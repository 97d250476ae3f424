// Three relay processes share one sign-in through a real redis-server (TOKEN_STORE=redis, tokens sealed with
// TOKEN_ENCRYPTION_KEY): 300 concurrent requests while the access token is about to expire cause exactly one
// refresh; a Responses conversation (sealed in Redis too) continues on another instance; Redis stopped mid-run
// gives 503s in each dialect, and the relays recover by themselves once it is back; a wrong key stops the start.

import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeUpstream, type FakeUpstream } from "../fakes/server.ts";
import { startRelayProcess, type RelayProcess } from "../helpers/relay-process.ts";
import { redisServerAvailable, startRedisServer, type RedisServer } from "../helpers/redis-server.ts";

const HAVE_REDIS = redisServerAvailable("three relays on Redis");
const KEY = "codex-relay:tokens:default";

describe.skipIf(!HAVE_REDIS)("three relay processes on one Redis", () => {
  let fake: FakeUpstream;
  let redis: RedisServer;
  let raw: Redis;
  let codexHome: string;
  let env: Record<string, string>;
  const relays: RelayProcess[] = [];
  const encryptionKey = randomBytes(32).toString("base64");

  beforeAll(async () => {
    fake = await startFakeUpstream({ refreshDelayMs: 300 });
    redis = await startRedisServer();
    raw = new Redis(redis.url, { enableOfflineQueue: true, lazyConnect: false });
    raw.on("error", () => undefined);
    codexHome = mkdtempSync(join(tmpdir(), "codex-relay-redis-home-"));
    // Expires in 30 s: inside the 5-minute window, so the first request on any instance wants a refresh.
    writeFileSync(join(codexHome, "auth.json"), JSON.stringify(fake.issuer.login({ ttlSeconds: 30 })), {
      mode: 0o600,
    });
    env = {
      CODEX_HOME: codexHome,
      TOKEN_STORE: "redis",
      REDIS_URL: redis.url,
      TOKEN_ENCRYPTION_KEY: encryptionKey,
      LOG_LEVEL: "info",
      ...fake.env(),
    };
    relays.push(
      ...(await Promise.all([startRelayProcess(env), startRelayProcess(env), startRelayProcess(env)])),
    );
  }, 60_000);

  afterAll(async () => {
    await Promise.all(relays.map((r) => r.stop()));
    raw?.disconnect();
    await redis?.close();
    await fake?.close();
    if (codexHome) rmSync(codexHome, { recursive: true, force: true });
  });

  const chat = (url: string, text: string) =>
    fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-5.5", messages: [{ role: "user", content: text }] }),
    });

  it("300 concurrent requests across three instances while the token expires: one refresh, all answered", async () => {
    const results = await Promise.all(
      Array.from({ length: 300 }, async (_, i) => {
        const res = await chat(relays[i % 3]!.url, `q${i}`);
        const body = (await res.json()) as { choices?: { message: { content: string } }[] };
        return { i, status: res.status, content: body.choices?.[0]?.message.content ?? JSON.stringify(body) };
      }),
    );
    const failed = results.filter((r) => r.status !== 200);
    expect(failed).toEqual([]);
    for (const r of results) expect(r.content.endsWith(`Echo: q${r.i}`)).toBe(true);

    expect(fake.issuer.refreshCalls).toBe(1);
    const seen = fake.issuer.refreshTokensSeen;
    expect(new Set(seen).size).toBe(seen.length);
    // Every backend request carried the one new, valid access token (none went out with the expiring one).
    const used = new Set(fake.requests.map((r) => r.headers["authorization"]));
    expect(used.size).toBe(1);
    const newest = [...used][0]!.replace(/^Bearer /, "");
    expect(fake.issuer.isAccessTokenValid(newest)).toBe(true);

    // At rest in Redis the tokens are sealed: no token appears in the stored value.
    const stored = (await raw.hget(KEY, "doc"))!;
    expect(stored.startsWith("crs1.")).toBe(true);
    expect(stored).not.toContain(newest);
  }, 120_000);

  it("a turn-2 previous_response_id lands on another instance and is answered with the history", async () => {
    const ask = (url: string, body: Record<string, unknown>) =>
      fetch(`${url}/v1/responses`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "gpt-5.5", stream: false, ...body }),
      });
    const first = await ask(relays[0]!.url, { input: "my name is Ada" });
    expect(first.status).toBe(200);
    const turn1 = (await first.json()) as { id: string };
    // The conversation is kept in Redis sealed with TOKEN_ENCRYPTION_KEY, like the tokens.
    const stored = (await raw.get(`codex-relay:responses:r:${turn1.id}`))!;
    expect(stored.startsWith("crs1.")).toBe(true);
    expect(stored).not.toContain("Ada");
    const before = fake.requests.length;
    const second = await ask(relays[1]!.url, { input: "what is my name?", previous_response_id: turn1.id });
    expect(second.status).toBe(200);
    const turn2 = (await second.json()) as {
      output_text?: string;
      output: { content?: { text: string }[] }[];
    };
    expect(JSON.stringify(turn2.output)).toContain("Echo: what is my name?");
    const sent = JSON.stringify(fake.requests.slice(before).at(-1)!.body);
    expect(sent).toContain("my name is Ada");
    expect(sent).toContain("Echo: my name is Ada");
    // Turn 3 on the third instance chains further.
    const third = await ask(relays[2]!.url, {
      input: "and again?",
      previous_response_id: (
        (await (await ask(relays[1]!.url, { input: "x", previous_response_id: turn1.id })).json()) as {
          id: string;
        }
      ).id,
    });
    expect(third.status).toBe(200);
  }, 60_000);

  it("Redis stopped: what needs it gets a 503 in the caller's dialect within 10 s, /health says so; restarted: full recovery, tokens intact", async () => {
    const refreshesBefore = fake.issuer.refreshCalls;
    const ask = (url: string, body: Record<string, unknown>) =>
      fetch(`${url}/v1/responses`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "gpt-5.5", stream: false, ...body }),
      });
    const earlier = (await (await ask(relays[0]!.url, { input: "before the outage" })).json()) as {
      id: string;
    };
    await redis.stop();
    try {
      // A valid access token held in memory keeps serving plain requests.
      const served = await Promise.all(relays.map((r, i) => chat(r.url, `down${i}`)));
      expect(served.map((r) => r.status)).toEqual([200, 200, 200]);

      // The shared response cache lives in Redis: a continuation cannot be answered now.
      let started = Date.now();
      const cont = await ask(relays[1]!.url, { input: "next", previous_response_id: earlier.id });
      const contMs = Date.now() - started;
      expect(cont.status).toBe(503);
      expect(((await cont.json()) as { error: { code: string } }).error.code).toBe(
        "response_store_unavailable",
      );
      expect(contMs).toBeLessThan(10_000);

      // The backend now rejects the access token: a refresh is needed, and it needs Redis (lock, compare-and-set).
      fake.issuer.expireAccessTokens();
      started = Date.now();
      const down = await Promise.all(relays.map((r, i) => chat(r.url, `down${i}`)));
      const ollama = await fetch(`${relays[0]!.url}/api/chat`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          model: "gpt-5.5",
          stream: false,
          messages: [{ role: "user", content: "hi" }],
        }),
      });
      const latency = Date.now() - started;
      expect(latency).toBeLessThan(10_000);
      for (const res of down) {
        expect(res.status).toBe(503);
        const body = (await res.json()) as { error: { message: string; code: string } };
        expect(body.error.code).toMatch(/^token_store_/);
        expect(body.error.message).toMatch(/Redis/);
      }
      expect(ollama.status).toBe(503);
      expect(((await ollama.json()) as { error: string }).error).toMatch(/Redis/);
      const health = (await (await fetch(`${relays[1]!.url}/health`)).json()) as {
        status: string;
        token_store: { reachable: boolean };
      };
      expect(health.status).toBe("token_store_unreachable");
      expect(health.token_store.reachable).toBe(false);
      console.info(
        `while Redis is down: continuation 503 in ${contMs} ms; 4 requests needing a refresh 503 in ${latency} ms`,
      );
      expect(fake.issuer.refreshCalls).toBe(refreshesBefore); // nothing sent to the issuer without the lock
    } finally {
      await redis.start();
    }

    await expect
      .poll(async () => (await Promise.all(relays.map((r) => chat(r.url, "back")))).map((r) => r.status), {
        timeout: 30_000,
        interval: 500,
      })
      .toEqual([200, 200, 200]);
    const after = await Promise.all(relays.map((r, i) => chat(r.url, `after${i}`)));
    expect(after.map((r) => r.status)).toEqual([200, 200, 200]);
    const cont = await ask(relays[2]!.url, { input: "next", previous_response_id: earlier.id });
    expect(cont.status).toBe(200);
    await expect
      .poll(
        async () => ((await (await fetch(`${relays[2]!.url}/health`)).json()) as { status: string }).status,
        {
          timeout: 10_000,
        },
      )
      .toBe("ok");
    // Tokens intact: one refresh for the three instances, no refresh token sent twice, and Redis holds the
    // newest tokens (sealed), which the backend accepts.
    expect(fake.issuer.refreshCalls).toBe(refreshesBefore + 1);
    const seen = fake.issuer.refreshTokensSeen;
    expect(new Set(seen).size).toBe(seen.length);
    const last = fake.requests.at(-1)!.headers["authorization"]!.replace(/^Bearer /, "");
    expect(fake.issuer.isAccessTokenValid(last)).toBe(true);
    const stored = (await raw.hget(KEY, "doc"))!;
    expect(stored.startsWith("crs1.")).toBe(true);
  }, 120_000);

  it("a wrong TOKEN_ENCRYPTION_KEY stops the start with a message naming it and leaves Redis untouched", async () => {
    const docBefore = await raw.hget(KEY, "doc");
    const err = await startRelayProcess({
      ...env,
      TOKEN_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    }).then(
      async (r) => {
        await r.stop();
        return null;
      },
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(/relay exited with 1/);
    expect(err?.message).toContain("TOKEN_ENCRYPTION_KEY");
    expect(err?.message).not.toContain(encryptionKey);
    const noKey = await startRelayProcess({ ...env, TOKEN_ENCRYPTION_KEY: "" }).then(
      async (r) => {
        await r.stop();
        return null;
      },
      (e: unknown) => e as Error,
    );
    expect(noKey?.message).toContain("TOKEN_ENCRYPTION_KEY is not set");
    expect(await raw.hget(KEY, "doc")).toBe(docBefore);
  }, 60_000);
});
