import { describe, expect, it } from "vitest";
import { Hono } from "hono";
import { corsMiddleware, type CorsOptions } from "./cors.ts";

const base: Omit<CorsOptions, "origin"> = {
  allowHeaders: ["authorization", "content-type"],
  allowMethods: ["GET", "POST", "OPTIONS"],
  exposeHeaders: ["x-codex-plan-type", "retry-after"],
  maxAge: 600,
};

function appWith(origin: CorsOptions["origin"], answer: () => Response) {
  const app = new Hono();
  app.use("*", corsMiddleware({ ...base, origin }));
  app.post("/x", () => answer());
  app.get("/boom", () => {
    throw new Error("boom");
  });
  app.onError(() => new Response("failed", { status: 500 }));
  return app;
}

const echoListed = (origin: string) => (origin === "https://app.example" ? origin : null);

describe("corsMiddleware", () => {
  it("puts the headers on the route's own answer, without rebuilding it", async () => {
    const answer = new Response("hi", { status: 201, headers: { "content-type": "text/plain", "x-a": "1" } });
    const app = appWith(echoListed, () => answer);
    const res = await app.request("/x", { method: "POST", headers: { origin: "https://app.example" } });
    expect(res).toBe(answer);
    expect(res.status).toBe(201);
    expect(await res.text()).toBe("hi");
    expect(res.headers.get("x-a")).toBe("1");
    expect(res.headers.get("content-type")).toBe("text/plain");
    expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect(res.headers.get("access-control-expose-headers")).toBe("x-codex-plan-type,retry-after");
    expect(res.headers.get("vary")).toBe("Origin");
  });

  it("echoes no origin that is not allowed, and none without an Origin header", async () => {
    const app = appWith(echoListed, () => new Response("hi"));
    const cases: Record<string, string>[] = [{ origin: "https://evil.example" }, {}];
    for (const headers of cases) {
      const res = await app.request("/x", { method: "POST", headers });
      expect(res.headers.get("access-control-allow-origin")).toBeNull();
      expect(res.headers.get("access-control-expose-headers")).toBe("x-codex-plan-type,retry-after");
      expect(res.headers.get("vary")).toBe("Origin");
    }
  });

  it("with origin '*' allows every origin and adds no Vary", async () => {
    const app = appWith("*", () => new Response("hi"));
    const res = await app.request("/x", { method: "POST", headers: { origin: "https://any.example" } });
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("vary")).toBeNull();
  });

  it("keeps a Vary the route set", async () => {
    const app = appWith(echoListed, () => new Response("hi", { headers: { vary: "Accept" } }));
    const res = await app.request("/x", { method: "POST", headers: { origin: "https://app.example" } });
    expect(res.headers.get("vary")).toBe("Accept, Origin");
  });

  it("copies an answer whose headers are immutable", async () => {
    const immutable = Response.redirect("https://example.com/", 302); // its headers cannot be changed
    const app = appWith(echoListed, () => immutable);
    const res = await app.request("/x", { method: "POST", headers: { origin: "https://app.example" } });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("https://example.com/");
    expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example");
  });

  it("adds the headers to error answers too", async () => {
    const app = appWith(echoListed, () => new Response("hi"));
    const res = await app.request("/boom", { headers: { origin: "https://app.example" } });
    expect(res.status).toBe(500);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example");
  });

  it("answers preflights itself", async () => {
    let reached = false;
    const app = appWith(echoListed, () => {
      reached = true;
      return new Response("hi");
    });
    const res = await app.request("/x", {
      method: "OPTIONS",
      headers: { origin: "https://app.example", "access-control-request-method": "POST" },
    });
    expect(reached).toBe(false);
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect(res.headers.get("access-control-allow-methods")).toBe("GET,POST,OPTIONS");
    expect(res.headers.get("access-control-allow-headers")).toBe("authorization,content-type");
    expect(res.headers.get("access-control-max-age")).toBe("600");
  });
});
