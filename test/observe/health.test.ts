// GET /health answers 200 only when a request could be served now, and 503 with the same JSON and a reason when
// not: no credentials, sign-in required, a token the backend rejects, a backend failing every request, the
// Cloudflare challenge. With OPENAI_API_KEY set, a caller without the key sees only the verdict (issue 14.7).

import { afterEach, describe, expect, it } from "vitest";
import { createServer } from "node:net";
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { startTestRelay, type TestRelay } from "../helpers/relay.ts";
import { startFakeUpstream } from "../fakes/server.ts";
import { cloudflare403, serverError, tokenInvalidated } from "../fakes/fake-chatgpt.ts";
import type { Logger } from "../../src/core/logger.ts";

interface HealthBody {
  status: string;
  ok: boolean;
  reason: string | null;
  message: string | null;
  tokens?: { email: string | null; accountId: string | null };
  upstream?: {
    last_error: { status: number | null; code: string | null; message: string; at: string } | null;
    consecutive_failures: number;
  };
}

let t: TestRelay | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function getHealth(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}/health`, { headers });
  return { status: res.status, body: (await res.json()) as HealthBody };
}

function chat(url: string, headers: Record<string, string> = {}) {
  return fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ model: "gpt-5.5", messages: [{ role: "user", content: "hi" }] }),
  });
}

function capturingLogger(lines: string[]): Logger {
  const put = (obj: object, msg?: string) => lines.push(`${msg ?? ""} ${JSON.stringify(obj)}`);
  return { debug: put, info: put, warn: put, error: put };
}

describe("/health", () => {
  it("is 200 with a signed-in account, and stays 200 after a served request", async () => {
    t = await startTestRelay();
    expect((await getHealth(t.url)).body).toMatchObject({ status: "ok", ok: true, reason: null });
    expect((await chat(t.url)).status).toBe(200);
    const { status, body } = await getHealth(t.url);
    expect(status).toBe(200);
    expect(body.upstream?.last_error).toBeNull();
  });

  it("is 503 no_credentials without a sign-in", async () => {
    t = await startTestRelay({ signedOut: true });
    const { status, body } = await getHealth(t.url);
    expect(status).toBe(503);
    expect(body).toMatchObject({ status: "no_credentials", ok: false, reason: "no_credentials" });
    expect(body.message).toMatch(/login/);
  });

  it("is 503 sign_in_required once the refresh token is dead", async () => {
    t = await startTestRelay({ ttlSeconds: 10 });
    t.fake.issuer.failAllRefreshes("refresh_token_expired");
    expect((await chat(t.url)).status).toBe(401);
    const { status, body } = await getHealth(t.url);
    expect(status).toBe(503);
    expect(body.reason).toBe("sign_in_required");
  });

  it("is 503 token_rejected when the backend rejects CHATGPT_ACCESS_TOKEN, and never says it refreshes", async () => {
    const fake = await startFakeUpstream();
    const lines: string[] = [];
    try {
      const token = fake.issuer.login().tokens.access_token;
      t = await startTestRelay({
        fake,
        signedOut: true,
        env: { CHATGPT_ACCESS_TOKEN: token },
        logger: capturingLogger(lines),
      });
      expect((await getHealth(t.url)).status).toBe(200);
      fake.issuer.revokeAccessTokens();
      expect((await chat(t.url)).status).toBe(401);
      const { status, body } = await getHealth(t.url);
      expect(status).toBe(503);
      expect(body.reason).toBe("token_rejected");
      expect(body.message).toContain("CHATGPT_ACCESS_TOKEN");
      expect(body.upstream?.last_error).toMatchObject({ status: 401, code: "token_invalidated" });
      expect(Date.now() - Date.parse(body.upstream!.last_error!.at)).toBeLessThan(60_000);
      expect(lines.join("\n")).not.toMatch(/refresh/i);
    } finally {
      await t?.close();
      t = undefined;
      await fake.close();
    }
  });

  it("is 503 token_rejected when the backend rejects the token even after a refresh; 200 again after a new sign-in works", async () => {
    t = await startTestRelay();
    t.fake.enqueue(tokenInvalidated(), tokenInvalidated());
    expect((await chat(t.url)).status).toBe(401);
    expect(t.fake.issuer.refreshCalls).toBe(1);
    const { status, body } = await getHealth(t.url);
    expect(status).toBe(503);
    expect(body.reason).toBe("token_rejected");
    // The backend takes the token again: the next success clears the verdict.
    expect((await chat(t.url)).status).toBe(200);
    expect((await getHealth(t.url)).status).toBe(200);
  });

  it("is 503 upstream_failing while the backend fails every request, 200 once it answers again", async () => {
    t = await startTestRelay();
    t.fake.setDefaultScenario(serverError(500));
    expect((await chat(t.url)).status).toBe(502);
    const { status, body } = await getHealth(t.url);
    expect(status).toBe(503);
    expect(body.reason).toBe("upstream_failing");
    expect(body.upstream?.last_error).toMatchObject({ status: 500 });
    expect(body.upstream?.consecutive_failures).toBeGreaterThanOrEqual(3);
    t.fake.setDefaultScenario(null);
    expect((await chat(t.url)).status).toBe(200);
    const after = await getHealth(t.url);
    expect(after.status).toBe(200);
    // The last error stays visible, with its time, after the recovery.
    expect(after.body.upstream?.last_error?.status).toBe(500);
  });

  it("is 503 upstream_failing when the backend cannot be reached", async () => {
    const port = await closedPort();
    t = await startTestRelay({
      env: { CHATGPT_RESPONSES_URL: `http://127.0.0.1:${port}/backend-api/codex/responses` },
    });
    expect((await chat(t.url)).status).toBe(502);
    const { status, body } = await getHealth(t.url);
    expect(status).toBe(503);
    expect(body.reason).toBe("upstream_failing");
    expect(body.upstream?.last_error).toMatchObject({ status: null, code: "upstream_unreachable" });
  });

  it("is 503 cloudflare_challenge after the backend's HTML 403 challenge", async () => {
    t = await startTestRelay();
    t.fake.enqueue(cloudflare403());
    expect((await chat(t.url)).status).toBeGreaterThanOrEqual(400);
    const { status, body } = await getHealth(t.url);
    expect(status).toBe(503);
    expect(body.reason).toBe("cloudflare_challenge");
    expect(body.upstream?.last_error).toMatchObject({ status: 403, code: "cloudflare_challenge" });
  });

  it("is 503 token_store_unreachable while the token store cannot be read, 200 once it can", async () => {
    t = await startTestRelay();
    expect((await getHealth(t.url)).status).toBe(200);
    // The store's folder becomes a file: every read fails (ENOTDIR), as an unreachable store would.
    const aside = `${t.codexHome}.aside`;
    renameSync(t.codexHome, aside);
    writeFileSync(t.codexHome, "not a folder");
    try {
      const { status, body } = await getHealth(t.url);
      expect(status).toBe(503);
      expect(body.reason).toBe("token_store_unreachable");
    } finally {
      rmSync(t.codexHome);
      renameSync(aside, t.codexHome);
    }
    expect((await getHealth(t.url)).status).toBe(200);
  });

  it("makes curl -f fail while not ready", async () => {
    t = await startTestRelay({ signedOut: true });
    const res = await fetch(`${t.url}/health`);
    expect(res.ok).toBe(false);
    expect(res.headers.get("cache-control")).toBe("no-store");
  });
});

describe("open routes with OPENAI_API_KEY set (issue 14.7)", () => {
  const KEY = "sk-relay-health-key";

  it("shows a stranger only whether the relay is up and why; the key shows the details", async () => {
    t = await startTestRelay({ env: { OPENAI_API_KEY: KEY } });
    expect((await chat(t.url, { authorization: `Bearer ${KEY}` })).status).toBe(200);
    const doc = JSON.parse((await import("node:fs")).readFileSync(`${t.codexHome}/auth.json`, "utf8")) as {
      tokens: { account_id: string };
    };
    const accountId = doc.tokens.account_id;

    const stranger = await fetch(`${t.url}/health`);
    const strangerText = await stranger.text();
    expect(stranger.status).toBe(200);
    expect(Object.keys(JSON.parse(strangerText) as object).sort()).toEqual([
      "message",
      "ok",
      "reason",
      "status",
    ]);
    expect(strangerText).not.toContain(accountId);
    expect(strangerText).not.toMatch(/@/);

    const wrong = await fetch(`${t.url}/health`, { headers: { authorization: `Bearer ${KEY}x` } });
    expect(await wrong.text()).not.toContain(accountId);

    const root = await (await fetch(`${t.url}/`)).text();
    expect(root).not.toContain(accountId);
    expect(root).not.toMatch(/@/);

    const withKey: Record<string, string>[] = [{ authorization: `Bearer ${KEY}` }, { "x-api-key": KEY }];
    for (const headers of withKey) {
      const owner = await getHealth(t.url, headers);
      expect(owner.body.tokens?.accountId).toBe(accountId);
      expect(owner.body.tokens?.email).toMatch(/@/);
    }
  });

  it("tells a stranger why it is not ready, without details", async () => {
    t = await startTestRelay({ signedOut: true, env: { OPENAI_API_KEY: KEY } });
    const { status, body } = await getHealth(t.url);
    expect(status).toBe(503);
    expect(body.reason).toBe("no_credentials");
    expect(body.tokens).toBeUndefined();
  });
});

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}
