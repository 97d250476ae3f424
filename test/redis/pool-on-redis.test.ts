// The account pool over a real redis-server (TOKEN_STORE=redis): three relay instances, only the first given the
// account files ($CODEX_RELAY_HOME/accounts/alice.json, bob.json). Every instance serves every account from its
// own sealed entry (codex-relay:tokens:<account>); one refresh per account across the instances; a parking and a
// conversation's account are the same for every instance; installation ids are per account, shared and kept;
// the pool costs the hot path no Redis round trip beyond a conversation's first request in an instance.

import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startFakeUpstream, type FakeUpstream } from "../fakes/server.ts";
import { usageLimitReached } from "../fakes/fake-chatgpt.ts";
import { redisServerAvailable, startRedisServer, type RedisServer } from "../helpers/redis-server.ts";
import { startServer, type RunningServer } from "../../src/node/server.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { collectStatus, printStatus } from "../../src/cli/status.ts";
import { runLogout } from "../../src/cli/logout.ts";
import { existsSync } from "node:fs";
import { loadConfig } from "../../src/config.ts";

const HAVE_REDIS = redisServerAvailable("account pool on Redis");
const A = "aaaaaaaa-0000-4000-8000-00000000000a";
const B = "bbbbbbbb-0000-4000-8000-00000000000b";

describe.skipIf(!HAVE_REDIS)("the account pool on Redis, three instances", () => {
  let redis: RedisServer;
  let raw: Redis;
  let fake: FakeUpstream;
  let dir: string;
  let relays: RunningServer[] = [];
  let clock: number;
  const now = () => clock;
  const encryptionKey = randomBytes(32).toString("base64");

  beforeAll(async () => {
    redis = await startRedisServer();
    raw = new Redis(redis.url);
    raw.on("error", () => undefined);
  }, 30_000);
  afterAll(async () => {
    raw?.disconnect();
    await redis?.close();
  });
  beforeEach(async () => {
    await raw.flushall();
    fake = await startFakeUpstream({ refreshDelayMs: 200 });
    dir = mkdtempSync(join(tmpdir(), "codex-relay-redis-pool-"));
    clock = Date.now();
  });
  afterEach(async () => {
    await Promise.all(relays.map((r) => r.close()));
    relays = [];
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function writeAccount(home: string, name: string, accountId: string, ttlSeconds?: number): void {
    const accounts = join(home, "accounts");
    mkdirSync(accounts, { recursive: true });
    const doc = fake.issuer.login({ accountId, email: `${name}@example.com`, ttlSeconds });
    writeFileSync(join(accounts, `${name}.json`), JSON.stringify(doc), { mode: 0o600 });
  }

  /** Instance 0 has the account files; 1 and 2 have nothing but the shared Redis. */
  async function startInstances(ttl: { alice?: number; bob?: number } = {}): Promise<string[]> {
    const homes = [0, 1, 2].map((i) => join(dir, `home-${i}`));
    writeAccount(homes[0]!, "alice", A, ttl.alice);
    writeAccount(homes[0]!, "bob", B, ttl.bob);
    for (const home of homes) {
      relays.push(
        await startServer({
          env: {
            ...fake.env(),
            TOKEN_STORE: "redis",
            REDIS_URL: redis.url,
            TOKEN_ENCRYPTION_KEY: encryptionKey,
            CODEX_RELAY_HOME: home,
            CODEX_HOME: join(home, "codex"),
          },
          port: 0,
          logger: silentLogger,
          retryBaseMs: 5,
          now,
        }),
      );
    }
    return relays.map((r) => r.url);
  }

  const chat = (url: string, conversation: string) =>
    fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-session-id": conversation },
      body: JSON.stringify({
        model: "gpt-5.5",
        messages: [{ role: "user", content: `hi from ${conversation}` }],
      }),
    });
  const accountOf = (r: { headers: Record<string, string> }) => r.headers["chatgpt-account-id"];

  it("instances without account files find every account in Redis and serve both, each from its own sealed entry", async () => {
    const urls = await startInstances();
    for (const url of urls.slice(1)) {
      const health = (await (await fetch(`${url}/health`)).json()) as { accounts: { key: string }[] };
      expect(health.accounts.map((a) => a.key)).toEqual(["alice", "bob"]);
      fake.reset();
      for (let i = 0; i < 6; i++) expect((await chat(url, `${url}-conv-${i}`)).status).toBe(200);
      expect(new Set(fake.requests.map(accountOf))).toEqual(new Set([A, B]));
    }
    expect((await raw.smembers("codex-relay:accounts")).sort()).toEqual(["alice", "bob"]);
    expect(await raw.exists("codex-relay:tokens:default")).toBe(0);
    for (const key of ["alice", "bob"]) {
      const stored = (await raw.hget(`codex-relay:tokens:${key}`, "doc"))!;
      expect(stored.startsWith("crs1.")).toBe(true);
    }
  }, 60_000);

  it("tokens expiring: 90 concurrent requests over three instances, exactly one refresh per account", async () => {
    const urls = await startInstances({ alice: 30, bob: 30 });
    const replies = await Promise.all(
      Array.from({ length: 90 }, (_, i) => chat(urls[i % 3]!, `refresh-${i}`)),
    );
    expect(replies.map((r) => r.status).filter((s) => s !== 200)).toEqual([]);
    expect(fake.issuer.successfulRefreshes).toBe(2);
    expect(fake.issuer.refreshCalls).toBe(2);
    expect(new Set(fake.requests.map(accountOf))).toEqual(new Set([A, B]));
    // Every backend request of an account carried that account's one new token.
    for (const id of [A, B]) {
      const tokens = new Set(
        fake.requests.filter((r) => accountOf(r) === id).map((r) => r.headers["authorization"]),
      );
      expect(tokens.size).toBe(1);
      expect(fake.issuer.isAccessTokenValid([...tokens][0]!.replace(/^Bearer /, ""))).toBe(true);
    }
  }, 90_000);

  it("a conversation stays on one account on every instance; repeated requests cost no pool round trip", async () => {
    const urls = await startInstances();
    for (let c = 0; c < 6; c++) {
      fake.reset();
      for (const url of [...urls, ...urls]) expect((await chat(url, `sticky-${c}`)).status).toBe(200);
      expect(new Set(fake.requests.map(accountOf)).size).toBe(1);
    }
    // Figures: Redis round trips per request (commands sent by a client; those a script runs are not round
    // trips), a known conversation vs a new one; the token entry's version check is one of them.
    const monitor = await raw.monitor();
    let sent = 0;
    monitor.on("monitor", (_time: string, args: string[], source: string) => {
      // Not counted: the test's own INFO and the account scan every 15 s (SMEMBERS), which is not per request.
      if (source !== "lua" && !["info", "smembers"].includes(args[0]?.toLowerCase() ?? "")) sent++;
    });
    const roundTrips = async (conversation: (i: number) => string) => {
      await raw.info("stats"); // the monitor sees everything before it
      const before = sent;
      for (let i = 0; i < 10; i++) expect((await chat(urls[1]!, conversation(i))).status).toBe(200);
      await raw.info("stats");
      return (sent - before) / 10;
    };
    const known = await roundTrips(() => "sticky-0");
    const fresh = await roundTrips((i) => `fresh-${i}`);
    monitor.disconnect();
    console.info(`Redis round trips per request: known conversation ${known}, new conversation ${fresh}`);
    expect(known).toBe(1); // the token entry's version check only
    expect(fresh).toBe(2); // and the conversation's claim
  }, 60_000);

  it("an account at its usage limit on one instance is parked on all of them, until its reset", async () => {
    const urls = await startInstances();
    // alice's conversation starts on instance 1, which learns her limit.
    const onAlice = async (): Promise<string> => {
      for (let i = 0; ; i++) {
        fake.reset();
        await chat(urls[1]!, `on-alice-${i}`);
        if (accountOf(fake.requests[0]!) === A) return `on-alice-${i}`;
      }
    };
    const conversation = await onAlice();
    fake.onRequest = (r) => (accountOf(r) === A ? usageLimitReached({ resetsInSeconds: 3600 }) : undefined);
    fake.reset();
    expect((await chat(urls[1]!, conversation)).status).toBe(200); // moved to bob before the first byte
    expect(fake.requests.map(accountOf)).toEqual([A, B]);

    // The others heard of it: no request reaches alice from them; the conversation is on bob there too.
    fake.onRequest = undefined;
    await expect
      .poll(async () => {
        const h = (await (await fetch(`${urls[2]!}/health`)).json()) as {
          accounts: { key: string; state: string }[];
        };
        return h.accounts.find((a) => a.key === "alice")!.state;
      })
      .toBe("parked");
    fake.reset();
    for (const url of [urls[0]!, urls[2]!]) {
      expect((await chat(url, conversation)).status).toBe(200);
      for (let i = 0; i < 4; i++) expect((await chat(url, `later-${url}-${i}`)).status).toBe(200);
    }
    expect(fake.requests.map(accountOf).filter((id) => id === A)).toEqual([]);
    expect(await raw.pttl("codex-relay:pool:parked:alice")).toBeGreaterThan(3500_000);

    // bob at his limit too, seen by instance 0: every instance answers 429 with the earliest reset, asking no one.
    fake.onRequest = () => usageLimitReached({ resetsInSeconds: 600 });
    expect((await chat(urls[0]!, "last")).status).toBe(429);
    await expect.poll(async () => (await chat(urls[2]!, "after-all")).status).toBe(429);
    fake.reset();
    const res = await chat(urls[1]!, "after-all-2");
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("retry-after"))).toBeLessThanOrEqual(600);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(500);
    expect(fake.requests).toHaveLength(0);

    // An instance started now reads the parkings from Redis.
    const late = await startServer({
      env: {
        ...fake.env(),
        TOKEN_STORE: "redis",
        REDIS_URL: redis.url,
        TOKEN_ENCRYPTION_KEY: encryptionKey,
        CODEX_RELAY_HOME: join(dir, "late"),
        CODEX_HOME: join(dir, "late", "codex"),
      },
      port: 0,
      logger: silentLogger,
      now,
    });
    relays.push(late);
    await expect.poll(async () => (await chat(late.url, "late")).status).toBe(429);
    expect(fake.requests).toHaveLength(0);

    // Past the resets, every instance uses them again.
    fake.onRequest = undefined;
    clock += 3700_000;
    for (const url of urls) expect((await chat(url, `back-${url}`)).status).toBe(200);
  }, 90_000);

  it("a dead sign-in found by one instance parks the account everywhere", async () => {
    const urls = await startInstances({ alice: 30 }); // alice's token needs a refresh, bob's is fresh
    fake.issuer.revokeRefreshTokens("refresh_token_invalidated");
    // Instance 0 tries alice (new conversations spread over both accounts): her refresh fails for good.
    for (let i = 0; i < 4; i++) expect((await chat(urls[0]!, `dead-${i}`)).status).toBe(200);
    expect(fake.issuer.refreshCalls).toBe(1);
    for (const url of urls.slice(1)) {
      await expect
        .poll(async () => {
          const h = (await (await fetch(`${url}/health`)).json()) as {
            accounts: { key: string; state: string }[];
          };
          return h.accounts.find((a) => a.key === "alice")!.state;
        })
        .toBe("sign_in_required");
    }
    fake.reset();
    for (const url of urls.slice(1)) for (let i = 0; i < 4; i++) await chat(url, `elsewhere-${url}-${i}`);
    expect(fake.requests.map(accountOf).filter((id) => id !== B)).toEqual([]);
    expect(fake.issuer.refreshCalls).toBe(1); // no other instance tried the dead refresh token again

    // `codex-relay login` for alice on instance 0's machine: its next scan seeds the new sign-in into Redis, and
    // every instance takes her back at its next look at the store.
    // (A newer sign-in is told by its tokens' issue time, in whole seconds.)
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    writeAccount(join(dir, "home-0"), "alice", A);
    expect(await relays[0]!.rescanAccounts()).toBe(0);
    clock += 10_000;
    for (const url of urls) {
      await expect
        .poll(async () => {
          const h = (await (await fetch(`${url}/health`)).json()) as {
            accounts: { key: string; state: string }[];
          };
          return h.accounts.find((a) => a.key === "alice")!.state;
        })
        .toBe("ready");
    }
    fake.reset();
    for (let i = 0; i < 6; i++) expect((await chat(urls[2]!, `back-${i}`)).status).toBe(200);
    expect(fake.requests.some((r) => accountOf(r) === A)).toBe(true);
  }, 90_000);

  it("`codex-relay status` with TOKEN_STORE=redis lists every account from Redis, with the shared parkings", async () => {
    const urls = await startInstances();
    fake.onRequest = (r) => (accountOf(r) === A ? usageLimitReached({ resetsInSeconds: 3600 }) : undefined);
    for (let i = 0; i < 4; i++) expect((await chat(urls[0]!, `status-${i}`)).status).toBe(200);
    fake.onRequest = undefined;
    await expect.poll(() => raw.exists("codex-relay:pool:parked:alice")).toBe(1);
    // Run where the relay's files are not: everything comes from Redis.
    const config = loadConfig({
      ...fake.env(),
      TOKEN_STORE: "redis",
      REDIS_URL: redis.url,
      TOKEN_ENCRYPTION_KEY: encryptionKey,
      CODEX_RELAY_HOME: join(dir, "elsewhere"),
      CODEX_HOME: join(dir, "elsewhere", "codex"),
    });
    const report = await collectStatus(config);
    expect(report.ready).toBe(true);
    expect(report.accounts.map((a) => [a.key, a.tokens.email, a.ready])).toEqual([
      ["alice", "alice@example.com", false],
      ["bob", "bob@example.com", true],
    ]);
    expect(report.accounts[0]!.problem).toMatch(/^At its usage limit until .+ \(in 60 min\)\.$/);
    let text = "";
    printStatus(report, { write: (t: string) => (text += t) });
    expect(text).toContain("codex-relay:tokens:bob (shared by the relay instances)");
    expect(text).toContain("Ready.");
    expect(text).not.toContain("ask a running relay");

    // Redis gone: not ready, and the next step says so.
    await redis.stop();
    try {
      const down = await collectStatus(config);
      expect(down.ready).toBe(false);
      expect(down.next).toContain("start Redis at redis://127.0.0.1:");
    } finally {
      await redis.start();
    }
  }, 90_000);

  it("`codex-relay logout --account alice` removes her from Redis: every instance serves bob only", async () => {
    const urls = await startInstances();
    // Alice serves before the logout (new conversations spread over both accounts).
    for (let i = 0; i < 4; i++) expect((await chat(urls[1]!, `before-${i}`)).status).toBe(200);
    expect(fake.requests.some((r) => accountOf(r) === A)).toBe(true);
    expect(await raw.exists("codex-relay:tokens:alice")).toBe(1);

    const config = loadConfig({
      ...fake.env(),
      TOKEN_STORE: "redis",
      REDIS_URL: redis.url,
      TOKEN_ENCRYPTION_KEY: encryptionKey,
      CODEX_RELAY_HOME: join(dir, "home-0"),
      CODEX_HOME: join(dir, "home-0", "codex"),
    });
    let text = "";
    const out = { write: (t: string) => void (text += t) };
    expect(await runLogout({ config, account: "alice" }, out, out)).toBe(0);
    expect(text).toContain('Removed account "alice" from Redis');
    expect(existsSync(join(dir, "home-0", "accounts", "alice.json"))).toBe(false);
    expect(await raw.smembers("codex-relay:accounts")).toEqual(["bob"]);
    expect(await raw.exists("codex-relay:tokens:alice")).toBe(0);
    // The refresh token revoked is the one in Redis (the current one).
    expect(fake.issuer.revocations.length).toBeGreaterThanOrEqual(1);

    fake.reset();
    for (const url of urls)
      for (let i = 0; i < 4; i++) expect((await chat(url, `after-${url}-${i}`)).status).toBe(200);
    expect(new Set(fake.requests.map(accountOf))).toEqual(new Set([B]));
    // A scan does not bring her back: no instance has her file any more.
    expect(await relays[0]!.rescanAccounts()).toBe(0);
    expect(await raw.smembers("codex-relay:accounts")).toEqual(["bob"]);
  }, 90_000);

  it("installation ids: one per account, the same on every instance and after a restart", async () => {
    const urls = await startInstances();
    for (const url of urls) for (let i = 0; i < 4; i++) await chat(url, `ids-${url}-${i}`);
    const idsOf = () => {
      const ids = new Map<string, Set<string>>();
      for (const r of fake.requests) {
        const set = ids.get(accountOf(r)!) ?? new Set();
        set.add(r.headers["x-codex-installation-id"]!);
        ids.set(accountOf(r)!, set);
      }
      return ids;
    };
    const first = idsOf();
    expect([...first.keys()].sort()).toEqual([A, B]);
    expect(first.get(A)!.size).toBe(1);
    expect(first.get(B)!.size).toBe(1);
    expect([...first.get(A)!][0]).not.toBe([...first.get(B)!][0]);
    expect(await raw.hget("codex-relay:installation-ids", "alice")).toBe([...first.get(A)!][0]);

    await Promise.all(relays.map((r) => r.close()));
    relays = [];
    fake.reset();
    const again = await startInstances();
    for (let i = 0; i < 6; i++) await chat(again[i % 3]!, `ids-again-${i}`);
    const second = idsOf();
    expect(second.get(A)).toEqual(first.get(A));
    expect(second.get(B)).toEqual(first.get(B));
  }, 90_000);
});
