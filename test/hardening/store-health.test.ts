// A store problem shows on /health while requests with a valid token keep working (issue 15, item 9): the token
// store stops being readable (permission lost) after the relay has read it once.

import { expect, it } from "vitest";
import { createMemoryStore } from "../../src/auth/memory-store.ts";
import { faultyStore, type FaultyStore } from "../fakes/faulty-store.ts";
import { inProcessRelay } from "./helpers/in-process.ts";
import { CHAT } from "./helpers/http.ts";

it("an unreadable store: chat still answers 200, /health names the store problem", async () => {
  let store: FaultyStore | undefined;
  const r = inProcessRelay({}, { store: (login) => (store = faultyStore(createMemoryStore(login))) });
  const ask = () =>
    r.request(CHAT.path, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(CHAT.body("hello", false)),
    });
  expect((await ask()).status).toBe(200);
  store!.failLoads = true;
  for (let i = 0; i < 5; i++) expect((await ask()).status).toBe(200);
  const health = await r.request("/health");
  const body = (await health.json()) as { tokens: { storeError?: { message: string } | null } };
  expect(body.tokens.storeError?.message).toMatch(/EACCES/);
  store!.failLoads = false;
  expect((await ask()).status).toBe(200);
  const again = (await (await r.request("/health")).json()) as { tokens: { storeError?: unknown } };
  expect(again.tokens.storeError).toBeNull();
});
