// The account pool end to end: a real relay with two sign-ins in $CODEX_RELAY_HOME/accounts/ in front of the fake
// backend and issuer. Routing (sticky conversations, most headroom), failover before the first byte (usage
// limit, dead sign-in), parking until the reset, all parked → 429 with the earliest reset, single-flight refresh
// per account, and /health + /debug/auth listing every account without secrets.

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeUpstream, type FakeUpstream } from "../fakes/server.ts";
import { usageLimitReached } from "../fakes/fake-chatgpt.ts";
import { startServer, type RunningServer } from "../../src/node/server.ts";
import { silentLogger } from "../../src/core/logger.ts";

const A = "aaaaaaaa-0000-4000-8000-00000000000a";
const B = "bbbbbbbb-0000-4000-8000-00000000000b";

let fake: FakeUpstream;
let home: string;
let relay: RunningServer | undefined;
let clock: number;
const now = () => clock;

beforeEach(async () => {
  fake = await startFakeUpstream({ refreshDelayMs: 50 });
  home = mkdtempSync(join(tmpdir(), "codex-relay-pool-"));
  clock = Date.now();
});
afterEach(async () => {
  await relay?.close();
  relay = undefined;
  await fake.close();
  rmSync(home, { recursive: true, force: true });
});

function writeAccount(name: string, accountId: string, ttlSeconds?: number): string {
  const dir = join(home, "relay", "accounts");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.json`);
  const doc = fake.issuer.login({ accountId, email: `${name}@example.com`, ttlSeconds });
  writeFileSync(path, JSON.stringify(doc, null, 2), { mode: 0o600 });
  return path;
}

async function start(): Promise<string> {
  relay = await startServer({
    env: {
      ...fake.env(),
      CODEX_RELAY_HOME: join(home, "relay"),
      CODEX_HOME: join(home, "codex"),
      DEBUG_ROUTES: "true",
    },
    port: 0,
    logger: silentLogger,
    retryBaseMs: 5,
    now,
  });
  return relay.url;
}

function chat(url: string, conversation: string) {
  return fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-session-id": conversation },
    body: JSON.stringify({
      model: "gpt-5.5",
      messages: [{ role: "user", content: `hello from ${conversation}` }],
    }),
  });
}

const accountOf = (r: { headers: Record<string, string> }) => r.headers["chatgpt-account-id"];
const requestsFor = (id: string) => fake.requests.filter((r) => accountOf(r) === id);

describe("routing", () => {
  it("a conversation stays on its account; new ones spread over the accounts", async () => {
    writeAccount("alice", A);
    writeAccount("bob", B);
    const url = await start();
    for (let i = 0; i < 6; i++) expect((await chat(url, "conv-1")).status).toBe(200);
    const first = accountOf(fake.requests[0]!);
    expect(fake.requests.map(accountOf)).toEqual(Array(6).fill(first));
    // Turns of the conversation also keep their session-id (the backend's prompt cache key).
    expect(new Set(fake.requests.map((r) => r.headers["session-id"])).size).toBe(1);
    for (let i = 0; i < 4; i++) expect((await chat(url, `other-${i}`)).status).toBe(200);
    expect(new Set(fake.requests.map(accountOf))).toEqual(new Set([A, B]));
  });

  it("new conversations go to the account with the most headroom by its last usage windows", async () => {
    writeAccount("alice", A);
    writeAccount("bob", B);
    fake.backend.accountRateLimits.set(A, { primaryUsedPercent: 90 });
    fake.backend.accountRateLimits.set(B, { primaryUsedPercent: 10 });
    const url = await start();
    // The first two learn both accounts' windows.
    await chat(url, "warm-1");
    await chat(url, "warm-2");
    expect(new Set(fake.requests.map(accountOf))).toEqual(new Set([A, B]));
    fake.reset();
    for (let i = 0; i < 8; i++) expect((await chat(url, `new-${i}`)).status).toBe(200);
    expect(fake.requests.map(accountOf)).toEqual(Array(8).fill(B));
  });
});

describe("adding accounts", () => {
  it("an auth.json copied into accounts/ while the relay runs joins the pool", async () => {
    writeAccount("alice", A);
    const url = await start();
    expect((await chat(url, "solo")).status).toBe(200);
    writeAccount("bob", B);
    expect(await relay!.rescanAccounts()).toBe(1);
    expect(await relay!.rescanAccounts()).toBe(0);
    fake.reset();
    for (let i = 0; i < 4; i++) expect((await chat(url, `two-${i}`)).status).toBe(200);
    expect(new Set(fake.requests.map(accountOf))).toEqual(new Set([A, B]));
  });
});

describe("failover", () => {
  it("one account exhausted mid-run under 100 concurrent requests: none fails, it gets no traffic until its reset", async () => {
    writeAccount("alice", A);
    writeAccount("bob", B);
    const url = await start();
    let servedA = 0;
    fake.onRequest = (r) => {
      if (accountOf(r) !== A) return;
      servedA++;
      if (servedA > 10) return usageLimitReached({ resetsInSeconds: 3600 });
    };
    const replies = await Promise.all(Array.from({ length: 100 }, (_, i) => chat(url, `burst-${i}`)));
    const statuses = replies.map((r) => r.status);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    await Promise.all(replies.map((r) => r.text()));
    const limited = fake.requests.filter((r) => accountOf(r) === A && r.status === 429).length;
    expect(limited).toBeGreaterThan(0);

    // Parked: the next requests, new conversations and old ones that lived on it, go to the other account.
    fake.reset();
    const more = await Promise.all(Array.from({ length: 30 }, (_, i) => chat(url, `burst-${i}`)));
    expect(more.every((r) => r.status === 200)).toBe(true);
    expect(requestsFor(A)).toHaveLength(0);

    const health = (await (await fetch(`${url}/health`)).json()) as {
      accounts: { key: string; state: string; parked: { until: string } | null }[];
    };
    const alice = health.accounts.find((a) => a.key === "alice")!;
    expect(alice.state).toBe("parked");
    expect(Date.parse(alice.parked!.until) - clock).toBeGreaterThan(3500_000);

    // After its reset it serves again (the window it reported is over, so it has the most headroom).
    fake.onRequest = undefined;
    clock += 3700_000; // past the reset, with room for a slow machine (the window's reset time came from real time)
    fake.reset();
    for (let i = 0; i < 4; i++) expect((await chat(url, `after-reset-${i}`)).status).toBe(200);
    expect(requestsFor(A).length).toBeGreaterThan(0);
  });

  it("every account parked: 429 with Retry-After = the earliest reset", async () => {
    writeAccount("alice", A);
    writeAccount("bob", B);
    const url = await start();
    fake.onRequest = (r) => usageLimitReached({ resetsInSeconds: accountOf(r) === A ? 1200 : 600 });
    const res = await chat(url, "doomed");
    expect(res.status).toBe(429);
    const retryAfter = Number(res.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(590);
    expect(retryAfter).toBeLessThanOrEqual(600);
    const body = (await res.json()) as { error: { type: string; code: string; message: string } };
    expect(body.error).toMatchObject({ type: "usage_limit_reached", code: "usage_limit_reached" });
    expect(body.error.message).toContain("All 2 ChatGPT accounts");
    expect(body.error.message).toContain("`codex-relay login`");
    // Parked accounts are not asked again: the next request is answered at once.
    fake.reset();
    expect((await chat(url, "doomed-2")).status).toBe(429);
    expect(fake.requests).toHaveLength(0);
  });

  it("a dead sign-in parks its account until it is signed in again; requests move to the other", async () => {
    const alicePath = writeAccount("alice", A, 30); // expires within the refresh window
    writeAccount("bob", B);
    fake.issuer.revokeRefreshTokens("refresh_token_invalidated");
    // bob's refresh token is revoked too, but his access token is fresh: no refresh needed.
    const url = await start();
    for (let i = 0; i < 4; i++) expect((await chat(url, `c-${i}`)).status).toBe(200);
    expect(requestsFor(A)).toHaveLength(0);
    const health = (await (await fetch(`${url}/health`)).json()) as {
      status: string;
      accounts: { key: string; state: string }[];
    };
    expect(health.status).toBe("ok"); // one usable account is enough
    expect(health.accounts.find((a) => a.key === "alice")!.state).toBe("sign_in_required");
    expect(health.accounts.find((a) => a.key === "bob")!.state).toBe("ready");

    // `codex-relay login` for alice writes her file anew: she is back after the next look at the store.
    writeFileSync(alicePath, JSON.stringify(fake.issuer.login({ accountId: A, email: "alice@example.com" })));
    clock += 10_000;
    await chat(url, "probe"); // the look happens while routing
    await expect
      .poll(async () => {
        const h = (await (await fetch(`${url}/health`)).json()) as {
          accounts: { key: string; state: string }[];
        };
        return h.accounts.find((a) => a.key === "alice")!.state;
      })
      .toBe("ready");
  });
});

describe("tokens per account", () => {
  it("concurrent requests needing a refresh: exactly one refresh per account", async () => {
    const alicePath = writeAccount("alice", A, 30);
    const bobPath = writeAccount("bob", B, 30);
    const url = await start();
    const replies = await Promise.all(Array.from({ length: 40 }, (_, i) => chat(url, `r-${i}`)));
    expect(replies.map((r) => r.status).filter((s) => s !== 200)).toEqual([]);
    expect(fake.issuer.successfulRefreshes).toBe(2);
    expect(new Set(fake.issuer.refreshTokensSeen).size).toBe(fake.issuer.refreshTokensSeen.length);
    // Each account's rotated tokens went to its own file.
    for (const [path, id] of [
      [alicePath, A],
      [bobPath, B],
    ] as const) {
      const doc = JSON.parse(readFileSync(path, "utf8"));
      expect(doc.tokens.account_id).toBe(id);
      expect(fake.issuer.isAccessTokenValid(doc.tokens.access_token)).toBe(true);
    }
    // Each account has its own installation id.
    const ids = new Map(fake.requests.map((r) => [accountOf(r), r.headers["x-codex-installation-id"]]));
    expect(ids.size).toBe(2);
    expect(ids.get(A)).not.toBe(ids.get(B));
    const metadata = fake.requests.map((r) => [
      accountOf(r),
      (r.body as { client_metadata: Record<string, string> }).client_metadata["x-codex-installation-id"],
    ]);
    for (const [account, id] of metadata) expect(id).toBe(ids.get(account));
  });

  it("each account's installation id is kept across restarts, like the Codex CLI's installation_id", async () => {
    writeAccount("alice", A);
    writeAccount("bob", B);
    const idsSeen = () =>
      new Map(fake.requests.map((r) => [accountOf(r), r.headers["x-codex-installation-id"]]));
    let url = await start();
    for (let i = 0; i < 4; i++) await chat(url, `id-${i}`);
    const first = idsSeen();
    expect(first.size).toBe(2);
    await relay!.close();
    fake.reset();
    url = await start();
    for (let i = 0; i < 4; i++) await chat(url, `id-again-${i}`);
    expect(idsSeen()).toEqual(first);
    expect(readFileSync(join(home, "relay", "installation-ids", "alice"), "utf8")).toBe(first.get(A));
  });

  it("/health and /debug/auth list every account: fingerprints, plan, usage, state, no secrets", async () => {
    const paths = [writeAccount("alice", A), writeAccount("bob", B)];
    const url = await start();
    await chat(url, "one");
    await chat(url, "two");
    const health = await (await fetch(`${url}/health`)).text();
    const debug = await (await fetch(`${url}/debug/auth`, { method: "POST" })).text();
    for (const text of [health, debug]) {
      const body = JSON.parse(text) as { accounts: Record<string, unknown>[] };
      expect(body.accounts.map((a) => a.key)).toEqual(["alice", "bob"]);
      for (const a of body.accounts) {
        expect(a).toMatchObject({ state: "ready", plan: "plus" });
        expect(a.access_token).toMatch(/^…[0-9a-f]{8}$/);
        expect((a.usage as { primary: { usedPercent: number } }).primary.usedPercent).toBe(12);
      }
      for (const path of paths) {
        const doc = JSON.parse(readFileSync(path, "utf8"));
        for (const secret of [doc.tokens.access_token, doc.tokens.refresh_token, doc.tokens.id_token]) {
          expect(text).not.toContain(secret);
        }
      }
    }
  });
});
