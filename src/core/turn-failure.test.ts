import { describe, expect, it } from "vitest";
import { turnError } from "./turn-failure.ts";

describe("turnError", () => {
  it("maps a failure's code to the status and type of the relay's own errors", () => {
    const seen = (code?: string) => {
      const e = turnError({ message: "m", ...(code ? { code } : {}) });
      return [e.status, e.type, e.code];
    };
    expect(seen("context_length_exceeded")).toEqual([
      400,
      "invalid_request_error",
      "context_length_exceeded",
    ]);
    expect(seen("invalid_prompt")).toEqual([400, "invalid_request_error", "invalid_prompt"]);
    expect(seen("insufficient_quota")).toEqual([429, "rate_limit_error", "insufficient_quota"]);
    expect(seen("server_is_overloaded")).toEqual([503, "upstream_error", "server_is_overloaded"]);
    expect(seen("upstream_idle_timeout")).toEqual([504, "upstream_error", "upstream_idle_timeout"]);
    expect(seen("server_error")).toEqual([502, "upstream_error", "server_error"]);
    expect(seen()).toEqual([502, "upstream_error", "upstream_error"]);
  });

  it("keeps the failure's own type when it is a known one", () => {
    const usage = turnError({ message: "m", code: "usage_limit_reached", errorType: "usage_limit_reached" });
    expect([usage.status, usage.type]).toEqual([429, "usage_limit_reached"]);
    const quota = turnError({ message: "m", code: "insufficient_quota", errorType: "insufficient_quota" });
    expect([quota.status, quota.type]).toEqual([429, "insufficient_quota"]);
    const unknown = turnError({ message: "m", code: "server_error", errorType: "mystery" });
    expect(unknown.type).toBe("upstream_error");
  });
});
