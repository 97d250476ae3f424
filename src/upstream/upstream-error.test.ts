import { describe, expect, it } from "vitest";
import { toRelayError } from "./upstream-error.ts";

describe("toRelayError", () => {
  it("keeps the backend's {detail} message and a 400", () => {
    const e = toRelayError(
      400,
      JSON.stringify({
        detail: "The 'gpt-4' model is not supported when using Codex with a ChatGPT account.",
      }),
      "application/json",
    );
    expect(e.status).toBe(400);
    expect(e.message).toContain("not supported when using Codex");
  });

  it("turns usage_limit_reached into a 429 with Retry-After and the reset time", () => {
    const resetsAt = Math.floor(Date.now() / 1000) + 3600;
    const body = {
      error: {
        type: "usage_limit_reached",
        message: "The usage limit has been reached",
        plan_type: "plus",
        resets_at: resetsAt,
        resets_in_seconds: 3600,
      },
    };
    const e = toRelayError(429, JSON.stringify(body), "application/json");
    expect(e.status).toBe(429);
    expect(e.code).toBe("usage_limit_reached");
    expect(e.headers["retry-after"]).toBe("3600");
    expect(e.message).toContain(new Date(resetsAt * 1000).toISOString().slice(0, 16));
    expect(e.message).toContain("plus");
  });

  it("explains an HTML error page instead of echoing it", () => {
    const e = toRelayError(502, "<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html");
    expect(e.status).toBe(502);
    expect(e.message).toMatch(/HTML page/);
    expect(e.message).not.toContain("<h1>");
  });

  it("turns a Cloudflare challenge into an error that says what happened and what to do", () => {
    const page = "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body></body></html>";
    for (const e of [
      toRelayError(403, page, "text/html; charset=UTF-8", {}, "challenge"),
      // The header lost on the way (a proxy), the page still tells.
      toRelayError(403, page, "text/html", {}),
      // The header alone is enough, whatever the page.
      toRelayError(403, "", null, {}, "challenge"),
    ]) {
      expect(e.status).toBe(502);
      expect(e.code).toBe("cloudflare_challenge");
      expect(e.message).toContain("Cloudflare challenge");
      expect(e.message).toMatch(/Cloudflare Workers/);
      expect(e.message).toMatch(/Node.*Docker container/);
      expect(e.message).not.toContain("<title>");
    }
    // An ordinary 403 (the account header) is not a challenge.
    expect(
      toRelayError(403, JSON.stringify({ detail: "Missing ChatGPT-Account-ID header." }), "application/json")
        .code,
    ).not.toBe("cloudflare_challenge");
  });

  it("maps overload to 503 and other server errors to 502", () => {
    expect(
      toRelayError(503, JSON.stringify({ error: { code: "server_is_overloaded", message: "busy" } }), null)
        .status,
    ).toBe(503);
    const e = toRelayError(500, "", null);
    expect(e.status).toBe(502);
    expect(e.message).toContain("HTTP 500");
  });

  it("reports a 401 with the backend's words", () => {
    const body = {
      error: {
        message: "Your authentication token has been invalidated. Please try signing in again.",
        code: "token_invalidated",
      },
    };
    const e = toRelayError(401, JSON.stringify(body), "application/json");
    expect(e.status).toBe(401);
    expect(e.code).toBe("token_invalidated");
    expect(e.message).toContain("invalidated");
  });
});
