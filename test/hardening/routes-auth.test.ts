// Which routes are public: every route the Hono app registers is enumerated (app.routes), so a route added later is
// covered without touching this file. With OPENAI_API_KEY set only GET / and GET /health (and CORS preflights)
// answer without the key; path tricks do not get around it. /debug/* is refused without a key unless
// DEBUG_ROUTES=true.

import { describe, expect, it } from "vitest";
import { inProcessRelay } from "./helpers/in-process.ts";
import { errorMessage } from "./helpers/http.ts";

const KEY = "sk-relay-routes-test-0123456789";
const PUBLIC = new Set(["GET /", "GET /health"]);

/** A concrete path for a route pattern: parameters and wildcards filled in. */
function concrete(path: string): string {
  return path.replace(/:[A-Za-z_]+(\{[^}]*\})?/g, "gpt-5.5").replace(/\*/g, "x");
}

function registeredRoutes(app: ReturnType<typeof inProcessRelay>["app"]): { method: string; path: string }[] {
  const seen = new Set<string>();
  const out: { method: string; path: string }[] = [];
  for (const r of app.routes) {
    if (r.method === "ALL") continue; // middleware
    const id = `${r.method} ${r.path}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({ method: r.method, path: r.path });
  }
  return out;
}

describe("with OPENAI_API_KEY set", () => {
  const r = inProcessRelay({ OPENAI_API_KEY: KEY, CORS_ORIGINS: "https://app.example" });
  const routes = registeredRoutes(r.app);

  it("knows the routes it is checking", () => {
    const ids = routes.map((x) => `${x.method} ${x.path}`);
    // The ones every build has; the enumeration below covers whatever else is registered.
    for (const must of [
      "GET /",
      "GET /health",
      "POST /v1/chat/completions",
      "POST /v1/completions",
      "POST /v1/responses",
      "GET /v1/models",
      "POST /api/chat",
      "POST /api/generate",
      "GET /api/tags",
      "POST /debug/refresh",
    ]) {
      expect(ids).toContain(must);
    }
  });

  it("serves only GET / and GET /health without the key", async () => {
    const open: string[] = [];
    for (const { method, path } of routes) {
      const url = concrete(path);
      for (const m of method === "GET" ? ["GET", "HEAD"] : [method]) {
        const res = await r.request(url, {
          method: m,
          headers: { "content-type": "application/json" },
          body: m === "GET" || m === "HEAD" ? undefined : "{}",
        });
        if (res.status !== 401) open.push(`${m} ${path} → ${res.status}`);
        else if (m !== "HEAD") {
          const dialect = url.startsWith("/api/")
            ? "ollama"
            : url.startsWith("/v1/messages")
              ? "anthropic"
              : "openai";
          expect(errorMessage(dialect, await res.json())).toMatch(/API key/);
        }
      }
    }
    expect(open.sort()).toEqual(["GET / → 200", "GET /health → 200", "HEAD / → 200", "HEAD /health → 200"]);
    for (const id of PUBLIC) expect(routes.map((x) => `${x.method} ${x.path}`)).toContain(id);
    expect(r.calls).toHaveLength(0);
  });

  it("refuses a wrong key on every protected route and accepts the right one", async () => {
    for (const { method, path } of routes) {
      if (PUBLIC.has(`${method} ${path}`)) continue;
      const url = concrete(path);
      const init = (auth: Record<string, string>) => ({
        method,
        headers: { "content-type": "application/json", ...auth },
        body: method === "GET" ? undefined : "{}",
      });
      expect((await r.request(url, init({ authorization: `Bearer ${KEY}x` }))).status).toBe(401);
      expect((await r.request(url, init({ "x-api-key": KEY.slice(0, -1) }))).status).toBe(401);
      expect((await r.request(url, init({ authorization: `Bearer ${KEY}` }))).status).not.toBe(401);
    }
  });

  it("answers CORS preflights without the key, and nothing else", async () => {
    for (const { path } of routes) {
      const res = await r.request(concrete(path), {
        method: "OPTIONS",
        headers: {
          origin: "https://app.example",
          "access-control-request-method": "POST",
          "access-control-request-headers": "authorization, content-type",
        },
      });
      expect(res.status).toBe(204);
      expect(await res.text()).toBe("");
    }
  });

  it.each([
    "/v1//models",
    "/v1/models/",
    "/./v1/models",
    "/x/../v1/models",
    "/%76%31/models",
    "/v1/%6dodels",
    "/V1/models",
    "//v1/models",
    "/v1/models%00",
    "/v1/models;x",
    "/debug//auth",
    "/%64ebug/auth",
    "/debug/auth/",
    "/api//tags",
    "/%61pi/tags",
  ])("does not serve %s without the key", async (path) => {
    for (const method of ["GET", "POST"]) {
      const res = await r.request(`http://relay.local${path}`, {
        method,
        body: method === "POST" ? "{}" : undefined,
      });
      expect([401, 404]).toContain(res.status);
    }
  });
});

describe("/debug/* without OPENAI_API_KEY", () => {
  it("is refused with 403 and a message saying how to enable it", async () => {
    const r = inProcessRelay();
    for (const [method, path] of [
      ["POST", "/debug/auth"],
      ["GET", "/debug/auth"],
      ["POST", "/debug/refresh"],
      ["GET", "/debug/anything"],
    ] as const) {
      const res = await r.request(path, { method });
      expect(res.status).toBe(403);
      const message = errorMessage("openai", await res.json());
      expect(message).toMatch(/OPENAI_API_KEY/);
      expect(message).toMatch(/DEBUG_ROUTES=true/);
    }
    // The other routes stay open without a key.
    expect((await r.request("/v1/models")).status).toBe(200);
  });

  it("is served with DEBUG_ROUTES=true", async () => {
    const r = inProcessRelay({ DEBUG_ROUTES: "true" });
    const res = await r.request("/debug/auth", { method: "POST" });
    expect(res.status).toBe(200);
    expect(await res.json()).toHaveProperty("tokens");
  });

  it("is served behind the key when OPENAI_API_KEY is set, DEBUG_ROUTES or not", async () => {
    const envs: Record<string, string>[] = [
      { OPENAI_API_KEY: KEY },
      { OPENAI_API_KEY: KEY, DEBUG_ROUTES: "false" },
    ];
    for (const env of envs) {
      const r = inProcessRelay(env);
      expect((await r.request("/debug/auth", { method: "POST" })).status).toBe(401);
      const ok = await r.request("/debug/auth", {
        method: "POST",
        headers: { authorization: `Bearer ${KEY}` },
      });
      expect(ok.status).toBe(200);
    }
  });
});
