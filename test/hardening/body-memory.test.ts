// Client input cannot take the process down (issue 15, item 3): many concurrent bodies, each under BODY_LIMIT,
// used to exhaust the heap and kill every open stream with the process. The bodies in flight now share a memory
// budget (BODY_MEMORY_LIMIT, by default an eighth of the heap): beyond it a body gets 503 with Retry-After. The
// relay runs as a child process with a small heap, so the test shows what 30 × 49 MB bodies do to a default one.

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { startFakeUpstream, type FakeUpstream } from "../fakes/server.ts";
import { startRelayProcess, type RelayProcess } from "../helpers/relay-process.ts";
import { CHAT, MODEL, errorMessage, post } from "./helpers/http.ts";

let fake: FakeUpstream | undefined;
let relay: RelayProcess | undefined;
afterAll(async () => {
  await relay?.stop();
  await fake?.close();
});

it("30 concurrent bodies just under BODY_LIMIT: some wait their turn (503), none crashes the relay", async () => {
  fake = await startFakeUpstream();
  const codexHome = mkdtempSync(join(tmpdir(), "codex-relay-body-memory-"));
  writeFileSync(join(codexHome, "auth.json"), JSON.stringify(fake.issuer.login({ ttlSeconds: 3600 })));
  relay = await startRelayProcess({
    CODEX_HOME: codexHome,
    ...fake.env(),
    BODY_LIMIT: "20mb",
    // A 256 MB heap: 30 bodies of 19 MB, each held several times over, are far more than it can take.
    NODE_OPTIONS: "--max-old-space-size=256",
  });
  const r = relay;
  // A stream that is open while the bodies arrive must get to its end.
  fake.enqueue({ kind: "text", text: "still streaming while the big bodies arrive", delayMs: 60 });
  const stream = post(`${r.url}${CHAT.path}`, CHAT.body("stream", true)).then((res) => res.text());
  const big = Buffer.from(
    JSON.stringify({
      model: MODEL,
      reasoning_effort: "none",
      messages: [
        { role: "system", content: "s".repeat(19 * 1024 * 1024) },
        { role: "user", content: "hi" },
      ],
    }),
  );
  const results = await Promise.all(
    Array.from({ length: 30 }, async () => {
      try {
        const res = await fetch(`${r.url}/v1/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: big,
        });
        return {
          status: res.status,
          body: (await res.json()) as unknown,
          retry: res.headers.get("retry-after"),
        };
      } catch (err) {
        return { status: 0, body: String(err), retry: null };
      }
    }),
  );
  const statuses = results.map((x) => x.status);
  expect(r.child.exitCode, r.output().slice(-2000)).toBeNull();
  expect(
    statuses.every((s) => s === 200 || s === 503),
    JSON.stringify(statuses),
  ).toBe(true);
  expect(statuses).toContain(200);
  const refused = results.find((x) => x.status === 503);
  expect(refused, "no body was refused: the budget did not apply").toBeDefined();
  expect(errorMessage("openai", refused!.body)).toMatch(/BODY_MEMORY_LIMIT/);
  expect(refused!.retry).toBe("1");
  expect(CHAT.streamText(await stream)).toBe("still streaming while the big bodies arrive");
  expect((await fetch(`${r.url}/health`)).status).toBe(200);
}, 120_000);
