// The refresh request and its error classification, against a real HTTP server on loopback.

import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RefreshError, refreshTokens } from "../../src/auth/oauth-client.ts";

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

let server: Server;
let url = "";
let handler: Handler = (_req, _body, res) => res.end();

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => handler(req, body, res));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth/token`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const reply = (status: number, body: unknown) => {
  handler = (_req, _body, res) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(typeof body === "string" ? body : JSON.stringify(body));
  };
};

const secret = "rt_super_secret_value";
const call = (overrides: Partial<Parameters<typeof refreshTokens>[0]> = {}) =>
  refreshTokens({ fetch, tokenUrl: url, clientId: "app_test", refreshToken: secret, ...overrides });

async function failure(): Promise<RefreshError> {
  const err = await call().then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RefreshError);
  expect((err as Error).message).not.toContain(secret);
  return err as RefreshError;
}

describe("refreshTokens", () => {
  it("posts the Codex refresh body as JSON and returns the token fields", async () => {
    let seen: { method?: string; type?: string; body?: unknown } = {};
    handler = (req, body, res) => {
      seen = { method: req.method, type: req.headers["content-type"], body: JSON.parse(body) };
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          id_token: "i2",
          access_token: "a2",
          refresh_token: "r2",
          expires_in: 3600,
          extra: 1,
        }),
      );
    };
    const { issuerTimeMs, ...tokens } = await call();
    expect(tokens).toEqual({ id_token: "i2", access_token: "a2", refresh_token: "r2" });
    // The issuer's Date header, which tells a skewed local clock.
    expect(Math.abs(issuerTimeMs! - Date.now())).toBeLessThan(60_000);
    expect(seen).toEqual({
      method: "POST",
      type: "application/json",
      body: { client_id: "app_test", grant_type: "refresh_token", refresh_token: secret },
    });
  });

  it("leaves out fields the reply does not have", async () => {
    reply(200, { access_token: "a3" });
    const { issuerTimeMs: _date, ...tokens } = await call();
    expect(tokens).toEqual({ access_token: "a3" });
  });

  it.each([
    ["refresh_token_expired", { error: { code: "refresh_token_expired", message: "expired" } }, 401],
    ["refresh_token_reused", { error: { code: "refresh_token_reused" } }, 401],
    ["refresh_token_invalidated", { error: { code: "refresh_token_invalidated" } }, 400],
    ["invalid_grant", { error: "invalid_grant", error_description: `bad token ${secret}` }, 400],
  ])("%s is permanent", async (code, body, status) => {
    reply(status, body);
    const err = await failure();
    expect(err).toMatchObject({ permanent: true, code, status });
  });

  it("a 401 without a known code is permanent", async () => {
    reply(401, "<html>nope</html>");
    expect(await failure()).toMatchObject({ permanent: true, code: "unauthorized", status: 401 });
  });

  it("5xx is transient", async () => {
    reply(502, { error: { code: "bad_gateway" } });
    expect(await failure()).toMatchObject({ permanent: false, status: 502 });
    reply(503, "overloaded");
    expect(await failure()).toMatchObject({ permanent: false, status: 503, code: null });
  });

  it("an unknown 4xx code is transient", async () => {
    reply(429, { error: { code: "rate_limited" } });
    expect(await failure()).toMatchObject({ permanent: false, code: "rate_limited" });
  });

  it("a 200 that is not JSON is transient", async () => {
    reply(200, "<html>");
    expect(await failure()).toMatchObject({ permanent: false, code: "invalid_reply" });
  });

  it("network errors and timeouts are transient", async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const err = await call({ tokenUrl: `http://127.0.0.1:${port}/oauth/token` }).catch((e: unknown) => e);
    expect(err).toMatchObject({ permanent: false, code: "network_error" });
    expect((err as Error).message).not.toContain(secret);

    handler = () => {}; // never answers
    const slow = await call({ timeoutMs: 100 }).catch((e: unknown) => e);
    expect(slow).toMatchObject({ permanent: false, code: "timeout" });
  });
});
