// Helpers of the Worker suite (run inside workerd): sign-ins from the fake issuer through the control server,
// seeding an account's Durable Object the way a refresh would have left it, and reading back what KV holds.

import { env, runInDurableObject } from "cloudflare:test";
import { inject } from "vitest";
import {
  createDurableObjectStore,
  readCachedDocument,
  tokenCacheKey,
} from "../../src/auth/durable-object-store.ts";
import { DEFAULT_ACCOUNT_KEY, type AuthDocument } from "../../src/auth/types.ts";
import { requireEncryptionKey, sealerFor } from "../../src/worker/sealing.ts";
import type { WorkerEnv } from "../../src/worker/env.ts";

export const clientKey = inject("clientKey");
const controlUrl = inject("controlUrl");

/** A new sign-in (its own refresh-token family) from the fake issuer; a negative ttl gives an expired token. */
export async function login(ttlSeconds: number): Promise<AuthDocument> {
  const res = await fetch(`${controlUrl}/login`, { method: "POST", body: JSON.stringify({ ttlSeconds }) });
  return (await res.json()) as AuthDocument;
}

/** How many times the fake issuer was sent this refresh token. */
export async function timesPresented(refreshToken: string): Promise<number> {
  const res = await fetch(`${controlUrl}/refreshes?token=${encodeURIComponent(refreshToken)}`);
  return ((await res.json()) as { presented: number }).presented;
}

export async function sealer() {
  return sealerFor(await requireEncryptionKey(env.TOKEN_ENCRYPTION_KEY as string), DEFAULT_ACCOUNT_KEY);
}

export function refresherStub(e: WorkerEnv = env) {
  return e.TOKEN_REFRESHER.get(e.TOKEN_REFRESHER.idFromName(DEFAULT_ACCOUNT_KEY));
}

/** Puts `doc` into the account's Durable Object storage (and KV), replacing whatever it held. */
export async function seed(doc: AuthDocument): Promise<void> {
  const s = await sealer();
  await runInDurableObject(refresherStub(), async (_instance, state) => {
    const store = createDurableObjectStore({
      storage: state.storage,
      kv: env.KV,
      accountKey: DEFAULT_ACCOUNT_KEY,
      sealer: s,
    });
    const current = await store.load();
    if (!(await store.save(doc, current?.tokens.refresh_token || null))) throw new Error("seed: lost a race");
  });
}

/** The raw strings in KV and in the Durable Object's storage. */
export async function storedValues(): Promise<{ kv: string | null; durableObject: string | undefined }> {
  const kv = await env.KV.get(tokenCacheKey(DEFAULT_ACCOUNT_KEY));
  const durableObject = await runInDurableObject(refresherStub(), (_i, state) =>
    state.storage.get<string>("auth"),
  );
  return { kv, durableObject };
}

export async function cachedDocument(): Promise<AuthDocument | null> {
  return readCachedDocument(env.KV, DEFAULT_ACCOUNT_KEY, await sealer());
}

export function chatRequest(text: string, extra: Record<string, unknown> = {}): Request {
  return new Request("https://relay.example/v1/chat/completions", {
    method: "POST",
    headers: { authorization: `Bearer ${clientKey}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "gpt-5.4", messages: [{ role: "user", content: text }], ...extra }),
  });
}

/** An ExecutionContext whose waitUntil work the test can wait for (`settled()`). */
export function executionContext(): ExecutionContext & { settled(): Promise<unknown> } {
  const pending: Promise<unknown>[] = [];
  return {
    waitUntil: (p: Promise<unknown>) => void pending.push(p),
    passThroughOnException() {},
    props: {},
    settled: () => Promise.all(pending),
  };
}
