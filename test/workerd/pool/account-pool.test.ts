// The account pool on Workers, in workerd: this project's Worker has two accounts from two secrets,
// OPENAI_CODEX_AUTH_ALICE and OPENAI_CODEX_AUTH_BOB (vitest.workers.config.ts), each with its own Durable Object
// and KV entry. New conversations spread over both; a conversation goes to the same account on every isolate; a
// usage limit moves the request to the other account before any byte and parks the account on that isolate;
// all parked → 429 with the earliest reset; installation ids per account, the same on every isolate; the usage
// windows one isolate learns reach the others through KV, and new conversations go by headroom.

import { env } from "cloudflare:test";
import { beforeEach, describe, expect, inject, it } from "vitest";
import { tokenCacheKey } from "../../../src/auth/durable-object-store.ts";
import { createWorkerHandler } from "../../../src/worker/index.ts";
import { parkingKey } from "../../../src/worker/shared-parkings.ts";
import { usageKey } from "../../../src/worker/shared-usage.ts";
import { clientKey, executionContext } from "../helpers.ts";

const ALICE = "aaaaaaaa-0000-4000-8000-00000000000a";
const BOB = "bbbbbbbb-0000-4000-8000-00000000000b";
const controlUrl = inject("controlUrl");

const isolate = () => createWorkerHandler();

function chat(handler: ReturnType<typeof isolate>, conversation: string, ctx = executionContext()) {
  return handler.fetch(
    new Request("https://relay.example/v1/chat/completions", {
      method: "POST",
      headers: {
        authorization: `Bearer ${clientKey}`,
        "content-type": "application/json",
        "x-session-id": conversation,
      },
      body: JSON.stringify({ model: "gpt-5.4", messages: [{ role: "user", content: `hi ${conversation}` }] }),
    }),
    env,
    ctx,
  );
}

interface Seen {
  account: string | null;
  installationId: string | null;
  status: number | null;
}
async function backendRequests(): Promise<Seen[]> {
  return (await (await fetch(`${controlUrl}/requests?reset=1`)).json()) as Seen[];
}
/** The primary window's used % the backend reports in this account's replies; no account: back to the defaults. */
async function reportUsage(account?: string, primaryUsedPercent?: number): Promise<void> {
  const query = account ? `?account=${account}&primary=${primaryUsedPercent}` : "";
  await fetch(`${controlUrl}/account-usage${query}`, { method: "POST" });
}
async function usageLimit(accounts: string[], resets = 3600): Promise<void> {
  await fetch(`${controlUrl}/usage-limit?accounts=${accounts.join(",")}&resets=${resets}`, {
    method: "POST",
  });
}

describe("several accounts on a Worker", () => {
  beforeEach(async () => {
    await usageLimit([]);
    await reportUsage();
    for (const key of ["alice", "bob"]) {
      await env.KV.delete(parkingKey(key));
      await env.KV.delete(usageKey(key));
    }
  });

  it("both accounts serve, each from its own secret, Durable Object and KV entry; /health lists them", async () => {
    await backendRequests();
    const worker = isolate();
    for (let i = 0; i < 8; i++) expect((await chat(worker, `spread-${i}`)).status).toBe(200);
    const seen = await backendRequests();
    expect(new Set(seen.map((r) => r.account))).toEqual(new Set([ALICE, BOB]));
    // bob's sign-in was due: his Durable Object refreshed it and wrote his own KV entry.
    expect(await env.KV.get(tokenCacheKey("bob"))).toMatch(/^crs1\./);
    expect(await env.KV.get(tokenCacheKey("default"))).toBeNull();
    const health = (await (
      await worker.fetch(
        new Request("https://relay.example/health", { headers: { authorization: `Bearer ${clientKey}` } }),
        env,
        executionContext(),
      )
    ).json()) as { accounts: { key: string; state: string }[] };
    expect(health.accounts.map((a) => [a.key, a.state])).toEqual([
      ["alice", "ready"],
      ["bob", "ready"],
    ]);
  });

  it("a conversation goes to the same account on every isolate; installation ids per account, shared, kept", async () => {
    // Isolates agree when they weigh the accounts alike: first one that has seen both accounts' usage shares it.
    const warm = isolate();
    const ctx = executionContext();
    for (let i = 0; i < 8; i++) await chat(warm, `warm-${i}`, ctx);
    await ctx.settled();
    expect(await env.KV.get(usageKey("alice"))).not.toBeNull();
    expect(await env.KV.get(usageKey("bob"))).not.toBeNull();
    await backendRequests();
    const isolates = [isolate(), isolate(), isolate()];
    for (let c = 0; c < 6; c++) {
      for (const worker of isolates) expect((await chat(worker, `sticky-${c}`)).status).toBe(200);
      const seen = await backendRequests();
      expect(seen).toHaveLength(3);
      expect(new Set(seen.map((r) => r.account)).size).toBe(1);
    }
    for (let c = 0; c < 6; c++) await chat(isolates[c % 3]!, `ids-${c}`);
    for (let c = 0; c < 6; c++) await chat(isolate(), `ids-fresh-${c}`);
    const ids = new Map<string | null, Set<string | null>>();
    for (const r of await backendRequests())
      ids.set(r.account, (ids.get(r.account) ?? new Set()).add(r.installationId));
    expect(ids.get(ALICE)!.size).toBe(1);
    expect(ids.get(BOB)!.size).toBe(1);
    expect([...ids.get(ALICE)!][0]).not.toBe([...ids.get(BOB)!][0]);
  });

  it("a usage limit moves the request to the other account before any byte; all parked → 429 with the earliest reset", async () => {
    await backendRequests();
    await usageLimit([ALICE]);
    const worker = isolate();
    const replies = await Promise.all(Array.from({ length: 10 }, (_, i) => chat(worker, `limited-${i}`)));
    expect(replies.map((r) => r.status)).toEqual(Array(10).fill(200));
    const seen = await backendRequests();
    expect(seen.filter((r) => r.account === ALICE && r.status !== 429)).toEqual([]);
    // Parked on this isolate: alice gets nothing more from it.
    for (let i = 0; i < 6; i++) expect((await chat(worker, `after-${i}`)).status).toBe(200);
    expect((await backendRequests()).map((r) => r.account)).toEqual(Array(6).fill(BOB));

    await usageLimit([ALICE, BOB], 600);
    const res = await chat(worker, "all-parked");
    expect(res.status).toBe(429);
    const retryAfter = Number(res.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(500);
    expect(retryAfter).toBeLessThanOrEqual(600);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("usage_limit_reached");
    expect(body.error.message).toContain("All 2 ChatGPT accounts");
    await usageLimit([]);
  });

  it("a parking made by one isolate reaches the others through KV, off the requests' path", async () => {
    await usageLimit([ALICE]);
    const first = isolate();
    const ctx = executionContext();
    for (let i = 0; i < 8; i++) expect((await chat(first, `kv-${i}`, ctx)).status).toBe(200);
    await ctx.settled(); // the write happens after the responses
    expect((await backendRequests()).some((r) => r.account === ALICE && r.status === 429)).toBe(true);
    const stored = JSON.parse((await env.KV.get(parkingKey("alice")))!) as { reason: string; until: number };
    expect(stored.reason).toBe("usage_limit");
    expect(stored.until - Date.now()).toBeGreaterThan(3500_000);

    // The backend would take alice again, but a fresh isolate knows she is parked: it sends her nothing.
    await usageLimit([]);
    const second = isolate();
    for (let i = 0; i < 8; i++) expect((await chat(second, `kv-${i}`)).status).toBe(200);
    expect((await backendRequests()).map((r) => r.account)).toEqual(Array(8).fill(BOB));
  });

  it("new conversations go by headroom; the usage one isolate learns reaches a fresh isolate through KV", async () => {
    await reportUsage(ALICE, 97);
    await backendRequests();
    const first = isolate();
    const ctx = executionContext();
    // Nothing known yet: both accounts take new conversations, and alice's replies say she is at 97%.
    const early = Array.from({ length: 8 }, (_, i) => `early-${i}`);
    for (const c of early) expect((await chat(first, c, ctx)).status).toBe(200);
    const placed = (await backendRequests()).map((r) => r.account);
    expect(placed).toContain(ALICE);
    await ctx.settled(); // the usage is written after the responses
    const stored = JSON.parse((await env.KV.get(usageKey("alice")))!) as { primary: { usedPercent: number } };
    expect(stored.primary.usedPercent).toBe(97);
    expect(await env.KV.get(usageKey("bob"))).not.toBeNull();

    // Alice has 3% left: new conversations go to bob; the conversations she already has stay with her.
    for (let i = 0; i < 20; i++) expect((await chat(first, `later-${i}`)).status).toBe(200);
    expect((await backendRequests()).map((r) => r.account)).toEqual(Array(20).fill(BOB));
    for (const c of early) expect((await chat(first, c)).status).toBe(200);
    expect((await backendRequests()).map((r) => r.account)).toEqual(placed);

    // A fresh isolate has never had a reply from alice: it knows her usage from KV, before its first request.
    const second = isolate();
    const health = (await (
      await second.fetch(
        new Request("https://relay.example/health", { headers: { authorization: `Bearer ${clientKey}` } }),
        env,
        executionContext(),
      )
    ).json()) as { accounts: { key: string; usage: { primary: { usedPercent: number } } | null }[] };
    expect(health.accounts.find((a) => a.key === "alice")?.usage?.primary.usedPercent).toBe(97);
    expect(await backendRequests()).toEqual([]);
    for (let i = 0; i < 20; i++) expect((await chat(second, `fresh-${i}`)).status).toBe(200);
    expect((await backendRequests()).map((r) => r.account)).toEqual(Array(20).fill(BOB));
  });
});
