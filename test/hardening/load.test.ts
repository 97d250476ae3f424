// 500 concurrent streams through one relay while its access token enters the refresh window mid-burst: exactly one
// refresh (the requests that arrive meanwhile wait for it), no request fails, and every stream carries exactly the
// answer the fake sent for that request — no cross-talk between streams, across three dialects.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { REFRESH_WINDOW_MS } from "../../src/auth/token-manager.ts";
import { lastUserText } from "../fakes/fake-chatgpt.ts";
import { startTestRelay, type TestRelay } from "../helpers/relay.ts";
import { CHAT, OLLAMA_CHAT, RESPONSES, post, sleep, within } from "./helpers/http.ts";

const STREAMS = 500;
/** Requests start this far apart: the burst takes 1.5 s to open. */
const STAGGER_MS = 3;
/** The burst starts this long before the token enters the refresh window. */
const LEAD_MS = 400;
let t: TestRelay | undefined;
afterAll(() => t?.close());

it(`serves ${STREAMS} concurrent streams with one refresh mid-burst and no cross-talk`, async () => {
  // The relay refreshes once the token expires within 5 minutes (REFRESH_WINDOW_MS). With 303 s to live, that is
  // 2–3 s away; the burst starts LEAD_MS before it (exp has whole seconds: read it from the token), so the
  // first requests use the old token and the rest trigger, and wait for, one refresh.
  t = await startTestRelay({ ttlSeconds: 303 });
  const relay = t;
  const before = readAuth(relay.codexHome);
  const exp = (JSON.parse(Buffer.from(before.split(".")[1]!, "base64url").toString()) as { exp: number }).exp;
  const windowOpensAt = exp * 1000 - REFRESH_WINDOW_MS;
  // A slow token endpoint: the requests that arrive while it works pile up in the relay, all open at once.
  relay.fake.issuer.refreshDelayMs = 1500;
  // One request first, so that the catalogue is loaded and the code is warm when the burst starts.
  expect((await post(`${relay.url}${CHAT.path}`, CHAT.body("warm up", false))).status).toBe(200);
  relay.fake.reset();
  // Each answer echoes a unique text in 10 pieces, 200 ms apart: every stream stays open ~2 s.
  relay.fake.setDefaultScenario((body) => ({
    kind: "text",
    text: `Echo: ${lastUserText(body.input)}`,
    deltas: 10,
    delayMs: 200,
  }));
  const wait = windowOpensAt - LEAD_MS - Date.now();
  expect(wait).toBeGreaterThan(0);
  await sleep(wait);
  let peakOpen = 0;
  let peakUpstream = 0;
  const poll = setInterval(() => {
    peakOpen = Math.max(peakOpen, relay.relay.openRequests());
    peakUpstream = Math.max(peakUpstream, relay.fake.counters.streamsOpen);
  }, 5);
  const endpoints = [CHAT, RESPONSES, OLLAMA_CHAT];
  const started = performance.now();
  const results = await within(
    45_000,
    "the burst",
    Promise.all(
      Array.from({ length: STREAMS }, async (_, i) => {
        await sleep(i * STAGGER_MS);
        const ep = endpoints[i % endpoints.length]!;
        const text = `stream ${i} ${crypto.randomUUID()}`;
        const res = await post(`${relay.url}${ep.path}`, ep.body(text, true));
        const body = await res.text();
        return { i, ep, text, status: res.status, body };
      }),
    ),
  ).finally(() => clearInterval(poll));
  const ms = performance.now() - started;

  const failed = results.filter((r) => r.status !== 200);
  expect(failed.map((r) => `${r.ep.name} ${r.status} ${r.body.slice(0, 200)}`)).toEqual([]);
  for (const r of results) expect(r.ep.streamText(r.body)).toBe(`Echo: ${r.text}`);

  expect(relay.fake.issuer.refreshCalls).toBe(1);
  // The backend saw each request once, each with its own text.
  const seen = relay.fake.requests.map((q) => lastUserText((q.body as { input: unknown }).input));
  expect(seen).toHaveLength(STREAMS);
  expect(new Set(seen)).toEqual(new Set(results.map((r) => r.text)));
  // Mid-burst: the first requests went out with the old token, all the others with the refreshed one.
  const after = readAuth(relay.codexHome);
  const auth = relay.fake.requests.map((q) => q.headers["authorization"]);
  const withOld = auth.filter((a) => a === `Bearer ${before}`).length;
  const withNew = auth.filter((a) => a === `Bearer ${after}`).length;
  console.info(
    `[hardening] load: ${STREAMS} streams in ${ms.toFixed(0)} ms, peak ${peakOpen} open at once in the relay ` +
      `(${peakUpstream} backend streams); ` +
      `${withOld} with the old token, ${withNew} after the single refresh`,
  );
  expect(withOld).toBeGreaterThan(0);
  expect(withNew).toBeGreaterThan(0);
  expect(withOld + withNew).toBe(STREAMS);
  expect(peakOpen).toBeGreaterThanOrEqual(STREAMS * 0.95);
}, 60_000);

function readAuth(codexHome: string): string {
  const doc = JSON.parse(readFileSync(join(codexHome, "auth.json"), "utf8")) as {
    tokens: { access_token: string };
  };
  return doc.tokens.access_token;
}
