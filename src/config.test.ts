import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config.ts";

describe("loadConfig", () => {
  it("has the documented defaults", () => {
    const c = loadConfig({});
    expect(c.host).toBe("127.0.0.1");
    expect(c.port).toBe(8787);
    expect(c.apiKey).toBeNull();
    expect(c.tokenStore).toBe("file");
    expect(c.reasoningEffort).toBe("medium");
    expect(c.reasoningSummary).toBe("auto");
    expect(c.reasoningCompat).toBe("think-tags");
    expect(c.responsesUrl).toBe("https://chatgpt.com/backend-api/codex/responses");
    expect(c.modelsUrl).toBe("https://chatgpt.com/backend-api/codex/models");
    expect(c.bodyLimit).toBe(50 * 1024 * 1024);
    expect(c.corsOrigins).toEqual([]);
    expect(c.allowedHosts).toEqual([]);
    expect(c.maxConnections).toBe(512);
    expect(c.sendTimeoutMs).toBe(60_000);
    expect(c.bodyMemoryLimit).toBeNull();
  });

  it.each([
    ["PORT", "eighty", /PORT.*whole number/],
    ["PORT", "70000", /PORT.*out of range/],
    ["REASONING_EFFORT", "extreme", /REASONING_EFFORT.*none, minimal, low, medium, high, xhigh/],
    ["REASONING_COMPAT", "tags", /REASONING_COMPAT.*think-tags/],
    ["TOKEN_STORE", "s3", /TOKEN_STORE.*file, memory, redis/],
    ["CHATGPT_RESPONSES_URL", "not a url", /CHATGPT_RESPONSES_URL.*not a URL/],
    ["BODY_LIMIT", "lots", /BODY_LIMIT.*size/],
    ["VERBOSE", "maybe", /VERBOSE.*boolean/],
    ["OPENAI_CODEX_AUTH", "{nope", /OPENAI_CODEX_AUTH.*auth\.json/],
    ["MODEL_ALIASES", "a=", /MODEL_ALIASES/],
  ])("rejects %s=%s naming the variable", (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });

  it("reads sizes, aliases, seed-compatible spellings and lists", () => {
    const c = loadConfig({
      BODY_LIMIT: "2mb",
      MODEL_ALIASES: "gpt-4o=gpt-5.5, smart=gpt-5.5-high",
      REASONING_SUMMARY: "off",
      REASONING_COMPAT: "current",
      CORS_ORIGINS: "https://a.example, https://b.example",
      CHATGPT_RESPONSES_URL: "http://127.0.0.1:9/backend-api/codex/responses/",
    });
    expect(c.bodyLimit).toBe(2 * 1024 * 1024);
    expect(c.modelAliases).toEqual({ "gpt-4o": "gpt-5.5", smart: "gpt-5.5-high" });
    expect(c.reasoningSummary).toBe("none");
    expect(c.reasoningCompat).toBe("legacy");
    expect(c.corsOrigins).toEqual(["https://a.example", "https://b.example"]);
    expect(c.modelsUrl).toBe("http://127.0.0.1:9/backend-api/codex/models");
  });

  it("keeps refreshed tokens in memory when OPENAI_CODEX_AUTH is the source", () => {
    const c = loadConfig({
      OPENAI_CODEX_AUTH: JSON.stringify({ tokens: { access_token: "a", refresh_token: "r", id_token: "i" } }),
    });
    expect(c.tokenStore).toBe("memory");
  });
  it("OAuth issuer and usage endpoint: derived defaults, CHATGPT_OAUTH_TOKEN_URL overrides the token URL alone", () => {
    const d = loadConfig({});
    expect(d.oauthIssuer).toBe("https://auth.openai.com");
    expect(d.oauthTokenUrl).toBe("https://auth.openai.com/oauth/token");
    expect(d.usageUrl).toBe("https://chatgpt.com/backend-api/wham/usage");
    expect(d.relayHome).toBeNull();
    const c = loadConfig({
      CHATGPT_OAUTH_ISSUER: "http://127.0.0.1:9/",
      CHATGPT_RESPONSES_URL: "http://127.0.0.1:8/backend-api/codex/responses",
      CODEX_RELAY_HOME: "/srv/relay",
    });
    expect(c.oauthIssuer).toBe("http://127.0.0.1:9");
    expect(c.oauthTokenUrl).toBe("http://127.0.0.1:9/oauth/token");
    expect(c.usageUrl).toBe("http://127.0.0.1:8/backend-api/wham/usage");
    expect(c.relayHome).toBe("/srv/relay");
    const o = loadConfig({
      CHATGPT_OAUTH_ISSUER: "http://127.0.0.1:9",
      CHATGPT_OAUTH_TOKEN_URL: "http://127.0.0.1:7/token",
      CHATGPT_USAGE_URL: "http://127.0.0.1:6/usage",
    });
    expect(o.oauthTokenUrl).toBe("http://127.0.0.1:7/token");
    expect(o.usageUrl).toBe("http://127.0.0.1:6/usage");
    expect(() => loadConfig({ CHATGPT_OAUTH_ISSUER: "auth.openai.com" })).toThrow(/CHATGPT_OAUTH_ISSUER/);
  });
});
