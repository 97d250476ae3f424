// HTTP hygiene at the edge, through a real socket: the body limit (413 in the caller's dialect, declared or
// chunked, nothing reaches the backend), oversized headers and URLs (Node answers 431 and the relay keeps serving),
// malformed requests (400, no crash), and CORS exactly as configured.

import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestRelay, type TestRelay } from "../helpers/relay.ts";
import { MODEL, errorMessage, post } from "./helpers/http.ts";

let t: TestRelay;
let open: TestRelay;
beforeAll(async () => {
  t = await startTestRelay({
    env: { BODY_LIMIT: "4kb", CORS_ORIGINS: "https://a.example, https://b.example" },
  });
  open = await startTestRelay({ fake: t.fake });
});
afterAll(async () => {
  await open.close();
  await t.close();
});

/** Writes raw bytes, returns everything the server sent until it closed (or 3 s passed). */
function raw(url: string, data: string): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const s = connect(Number(u.port), u.hostname);
    let out = "";
    const done = () => resolve(out);
    s.on("data", (d: Buffer) => (out += d.toString("latin1")));
    s.on("close", done);
    s.on("error", done);
    s.write(data);
    setTimeout(() => s.destroy(), 3000);
  });
}

const status = (response: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0);

async function stillHealthy(relay: TestRelay) {
  expect((await fetch(`${relay.url}/health`)).status).toBe(200);
}

describe("body size limit (BODY_LIMIT=4kb)", () => {
  const big = { model: MODEL, messages: [{ role: "user", content: "x".repeat(8 * 1024) }] };

  it.each([
    ["/v1/chat/completions", "openai"],
    ["/v1/responses", "openai"],
    ["/v1/completions", "openai"],
    ["/api/chat", "ollama"],
    ["/api/generate", "ollama"],
  ] as const)("answers 413 on %s with a Content-Length over the limit", async (path, dialect) => {
    const before = t.fake.counters.responses;
    const res = await post(`${t.url}${path}`, big);
    expect(res.status).toBe(413);
    expect(errorMessage(dialect, await res.json())).toMatch(/larger than the relay's limit of 4096 bytes/);
    expect(t.fake.counters.responses).toBe(before);
  });

  it("answers 413 for a chunked body that grows over the limit", async () => {
    const body = JSON.stringify(big);
    const chunks = [body.slice(0, 1000), body.slice(1000, 5000), body.slice(5000)]
      .map((c) => `${Buffer.byteLength(c).toString(16)}\r\n${c}\r\n`)
      .join("");
    const before = t.fake.counters.responses;
    const response = await raw(
      t.url,
      `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${chunks}0\r\n\r\n`,
    );
    expect(status(response)).toBe(413);
    expect(response).toContain("request_too_large");
    expect(t.fake.counters.responses).toBe(before);
    await stillHealthy(t);
  });

  it("serves a body just under the limit", async () => {
    const res = await post(`${t.url}/v1/chat/completions`, {
      model: MODEL,
      messages: [{ role: "user", content: "y".repeat(3000) }],
    });
    expect(res.status).toBe(200);
  });
});

describe("header and URL limits", () => {
  const huge = "a".repeat(100 * 1024);

  it.each([
    ["a 100 KB header", `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${huge}\r\n\r\n`],
    ["a 100 KB URL", `GET /health?${huge} HTTP/1.1\r\nHost: x\r\n\r\n`],
    [
      "a 100 KB path on a protected route",
      `POST /v1/${huge} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}`,
    ],
    [
      "5,000 headers",
      `GET /health HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 5000 }, (_, i) => `X-H${i}: v`).join("\r\n")}\r\n\r\n`,
    ],
    [
      "a 100 KB Authorization header",
      `GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${huge}\r\n\r\n`,
    ],
  ])("answers %s with 431 and keeps serving", async (_what, request) => {
    const response = await raw(t.url, request);
    expect(status(response)).toBe(431);
    await stillHealthy(t);
  });

  it.each([
    [
      "Content-Length and Transfer-Encoding together",
      "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    ],
    ["a control character in a header", "GET /health HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0001b\r\n\r\n"],
    [
      "garbage instead of a request line",
      "\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003\r\n\r\n",
    ],
    [
      "a negative Content-Length",
      "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
    ],
  ])("answers %s with 400 and keeps serving", async (_what, request) => {
    const response = await raw(t.url, request);
    expect(status(response)).toBe(400);
    await stillHealthy(t);
  });

  it("answers a body shorter than its Content-Length once the client gives up, without a crash", async () => {
    const u = new URL(t.url);
    const s = connect(Number(u.port), u.hostname);
    s.on("error", () => {});
    s.write(
      'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"mo',
    );
    await new Promise((r) => setTimeout(r, 100));
    s.destroy();
    await new Promise((r) => setTimeout(r, 100));
    await stillHealthy(t);
  });
});

describe("CORS", () => {
  const preflight = (url: string, origin: string) =>
    fetch(`${url}/v1/chat/completions`, {
      method: "OPTIONS",
      headers: {
        origin,
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
      },
    });

  it("echoes an allowed origin, on preflights and on answers", async () => {
    for (const origin of ["https://a.example", "https://b.example"]) {
      const pre = await preflight(t.url, origin);
      expect(pre.status).toBe(204);
      expect(pre.headers.get("access-control-allow-origin")).toBe(origin);
      expect(pre.headers.get("access-control-allow-methods")).toContain("POST");
      expect(pre.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("authorization");
      expect(pre.headers.get("access-control-allow-credentials")).toBeNull();
      expect(pre.headers.get("vary")?.toLowerCase()).toContain("origin");
      const res = await fetch(`${t.url}/v1/models`, { headers: { origin } });
      expect(res.headers.get("access-control-allow-origin")).toBe(origin);
      expect(res.headers.get("access-control-expose-headers")).toContain("x-codex-primary-used-percent");
    }
  });

  it("does not allow any other origin", async () => {
    for (const origin of [
      "https://evil.example",
      "https://a.example.evil.example",
      "null",
      "http://a.example",
    ]) {
      const pre = await preflight(t.url, origin);
      const allowed = pre.headers.get("access-control-allow-origin");
      expect(allowed === null || allowed === "").toBe(true);
      const res = await fetch(`${t.url}/v1/models`, { headers: { origin } });
      const allowed2 = res.headers.get("access-control-allow-origin");
      expect(allowed2 === null || allowed2 === "").toBe(true);
    }
  });

  it("by default lets loopback pages in and no other origin", async () => {
    const page = "http://localhost:5173";
    const pre = await preflight(open.url, page);
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe(page);
    expect(pre.headers.get("access-control-allow-credentials")).toBeNull();
    const res = await fetch(`${open.url}/health`, { headers: { origin: page } });
    expect(res.headers.get("access-control-allow-origin")).toBe(page);
    const foreign = await preflight(open.url, "https://anything.example");
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("CORS_ORIGINS=* allows every origin, still without credentials", async () => {
    const star = await startTestRelay({ fake: t.fake, env: { CORS_ORIGINS: "*" } });
    try {
      const pre = await preflight(star.url, "https://anything.example");
      expect(pre.status).toBe(204);
      expect(pre.headers.get("access-control-allow-origin")).toBe("*");
      expect(pre.headers.get("access-control-allow-credentials")).toBeNull();
    } finally {
      await star.close();
    }
  });
});
