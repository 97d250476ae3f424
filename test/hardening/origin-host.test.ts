// Web pages cannot use the relay (issue 15, item 1). With the defaults (no key) a cross-origin "simple" POST from
// any site used to get an answer and spend a turn of the plan, and `Host: attacker.example` (DNS rebinding) was
// served. Now, as in Ollama: a request whose Origin is not loopback, the relay's own or in CORS_ORIGINS is refused
// with 403 in the caller's dialect whatever its content type (preflights too, without CORS headers), and on a
// loopback bind a Host that is not loopback or in ALLOWED_HOSTS is refused. Requests without an Origin are served.

import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestRelay, type TestRelay } from "../helpers/relay.ts";
import { TURN_ENDPOINTS, errorMessage, type Endpoint } from "./helpers/http.ts";

let t: TestRelay;
let listed: TestRelay;
beforeAll(async () => {
  t = await startTestRelay();
  listed = await startTestRelay({
    fake: t.fake,
    env: { CORS_ORIGINS: "https://app.example", ALLOWED_HOSTS: "relay.internal" },
  });
});
afterAll(async () => {
  await listed.close();
  await t.close();
});

/** A request over node:http, which sends the Host header it is given. */
function send(
  url: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
  method = "POST",
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}${path}`, { method, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

const CONTENT_TYPES = ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"];

describe.each(TURN_ENDPOINTS)("$name ($path)", (ep: Endpoint) => {
  it.each(CONTENT_TYPES)(
    "refuses a simple cross-origin POST (%s) with 403 in the dialect; the backend sees nothing",
    async (type) => {
      const before = t.fake.counters.responses;
      const res = await send(
        t.url,
        ep.path,
        { origin: "https://evil.example", "content-type": type },
        JSON.stringify(ep.body("spend the plan", false)),
      );
      expect(res.status).toBe(403);
      expect(errorMessage(ep.dialect, JSON.parse(res.text))).toMatch(
        /origin 'https:\/\/evil\.example' are not allowed.*CORS_ORIGINS/,
      );
      expect(res.headers["access-control-allow-origin"]).toBeUndefined();
      expect(t.fake.counters.responses).toBe(before);
    },
  );

  it("serves the same request without an Origin, from a loopback page and from a listed origin", async () => {
    const body = JSON.stringify(ep.body("hello", false));
    expect((await send(t.url, ep.path, { "content-type": "text/plain" }, body)).status).toBe(200);
    const local = await send(t.url, ep.path, { origin: "http://127.0.0.1:3000" }, body);
    expect(local.status).toBe(200);
    expect(local.headers["access-control-allow-origin"]).toBe("http://127.0.0.1:3000");
    const app = await send(listed.url, ep.path, { origin: "https://app.example" }, body);
    expect(app.status).toBe(200);
    expect(app.headers["access-control-allow-origin"]).toBe("https://app.example");
  });
});

describe("preflights and other routes", () => {
  it("answers the preflight of a disallowed origin with 403 and no CORS headers", async () => {
    const res = await send(
      t.url,
      "/v1/chat/completions",
      {
        origin: "https://evil.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
      },
      undefined,
      "OPTIONS",
    );
    expect(res.status).toBe(403);
    expect(res.headers["access-control-allow-origin"]).toBeUndefined();
    expect(res.headers["access-control-allow-methods"]).toBeUndefined();
  });

  it("does not show /health (account e-mail, plan) to a foreign page", async () => {
    const res = await send(t.url, "/health", { origin: "https://evil.example" }, undefined, "GET");
    expect(res.status).toBe(403);
  });

  it("refuses the null origin (sandboxed iframes) and lookalikes of loopback", async () => {
    for (const origin of ["null", "http://localhost.evil.example", "http://127.0.0.1.evil.example"]) {
      const res = await send(t.url, "/api/tags", { origin }, undefined, "GET");
      expect(res.status, origin).toBe(403);
      expect(errorMessage("ollama", JSON.parse(res.text))).toMatch(/not allowed/);
    }
  });
});

describe("Host (DNS rebinding) on a loopback bind", () => {
  it.each(TURN_ENDPOINTS)("refuses Host: attacker.example on $path in the dialect", async (ep) => {
    const before = t.fake.counters.responses;
    const port = new URL(t.url).port;
    // A rebound page is same-origin with the name it rebinds: Origin and Host agree.
    const res = await send(
      t.url,
      ep.path,
      { host: `attacker.example:${port}`, origin: `http://attacker.example:${port}` },
      JSON.stringify(ep.body("rebind", false)),
    );
    expect(res.status).toBe(403);
    expect(errorMessage(ep.dialect, JSON.parse(res.text))).toMatch(
      /host 'attacker\.example:\d+'.*ALLOWED_HOSTS/,
    );
    const plain = await send(
      t.url,
      ep.path,
      { host: "attacker.example" },
      JSON.stringify(ep.body("x", false)),
    );
    expect(plain.status).toBe(403);
    expect(t.fake.counters.responses).toBe(before);
  });

  it("serves loopback names, local names (no dot, .local, .internal) and ALLOWED_HOSTS", async () => {
    const port = new URL(t.url).port;
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, "[::1]", "workstation", "nas.local"]) {
      expect((await send(t.url, "/health", { host }, undefined, "GET")).status, host).toBe(200);
    }
    expect((await send(listed.url, "/health", { host: "relay.internal:443" }, undefined, "GET")).status).toBe(
      200,
    );
    expect((await send(listed.url, "/health", { host: "other.example" }, undefined, "GET")).status).toBe(403);
  });
});
