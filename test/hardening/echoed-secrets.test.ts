// Secrets echoed by the other side do not leak (issue 15, item 7). The backend may quote the bearer token in a 4xx
// body and the issuer may put the refresh token in its error: that text reached the client's error message and the
// log. One scrubber, applied where upstream and issuer text enters the relay (the upstream-error mapping, the OAuth
// client's errors) and in front of the logger, removes every token the relay holds, the client key, and anything
// shaped like a bearer value or a JWT.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, expect, it } from "vitest";
import { startTestRelay, type TestRelay } from "../helpers/relay.ts";
import { CHAT, OLLAMA_CHAT, captureLogger, post } from "./helpers/http.ts";
import type { AuthDocument } from "../../src/auth/types.ts";

const KEY = "sk-relay-echo-test-7f3a9b2c4d5e6f70";
const log = captureLogger();
let t: TestRelay;
const auth = { authorization: `Bearer ${KEY}` };
beforeAll(async () => {
  t = await startTestRelay({
    env: { OPENAI_API_KEY: KEY, UPSTREAM_RETRIES: "0", DEBUG_REFRESH_MIN_MS: "0" },
    logger: log,
  });
});
afterAll(() => t.close());
beforeEach(() => {
  t.fake.reset();
  log.records.length = 0;
});

const tokens = (): AuthDocument["tokens"] =>
  (JSON.parse(readFileSync(join(t.codexHome, "auth.json"), "utf8")) as AuthDocument).tokens;

/** No secret, nor a long piece of one, in `text`. */
function expectClean(text: string, secrets: string[]): void {
  for (const secret of secrets) {
    expect(text).not.toContain(secret);
    for (const piece of secret.split(".")) if (piece.length > 20) expect(text).not.toContain(piece);
  }
}

it("a backend 4xx that echoes the bearer token: not in the answer, not in the log", async () => {
  // One request first, so the relay has read the tokens it will send.
  expect((await post(`${t.url}${CHAT.path}`, CHAT.body("warm up", false), auth)).status).toBe(200);
  const { access_token: access, id_token: id } = tokens();
  for (const ep of [CHAT, OLLAMA_CHAT]) {
    t.fake.enqueue({
      kind: "http",
      status: 400,
      body: {
        error: {
          message: `Invalid request for Authorization: Bearer ${access} (id ${id}) with key ${KEY}`,
          code: access,
          type: "invalid_request_error",
        },
      },
    });
    const res = await post(`${t.url}${ep.path}`, ep.body("echo", false), auth);
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).toContain("[redacted]");
    expectClean(text, [access, id, KEY]);
  }
  expectClean(JSON.stringify(log.records), [access, id, KEY]);
});

it("an issuer error that quotes the refresh token: not in the answer, not in the log", async () => {
  const { refresh_token: refresh } = tokens();
  t.fake.issuer.failNextRefreshWithStatus(400, {
    error: refresh,
    error_description: `refresh token ${refresh} is not valid`,
  });
  const res = await fetch(`${t.url}/debug/refresh`, { method: "POST", headers: auth });
  expect(res.status).toBeGreaterThanOrEqual(400);
  const text = await res.text();
  expectClean(text, [refresh]);
  expectClean(JSON.stringify(log.records), [refresh]);
});
