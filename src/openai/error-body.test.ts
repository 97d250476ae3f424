import { describe, expect, it } from "vitest";
import { invalidRequest, RelayError } from "../core/errors.ts";
import { streamErrorBody, toOpenAIError } from "./error-body.ts";

describe("toOpenAIError", () => {
  it("renders a RelayError with its status, fields and headers", () => {
    expect(toOpenAIError(invalidRequest("messages[0].role", "Bad role."))).toEqual({
      status: 400,
      body: {
        error: { message: "Bad role.", type: "invalid_request_error", param: "messages[0].role", code: null },
      },
      headers: {},
    });
    const limited = new RelayError(429, "Usage limit reached; try again at 12:00.", {
      type: "usage_limit_reached",
      code: "usage_limit_reached",
      headers: { "retry-after": "60" },
    });
    expect(toOpenAIError(limited)).toMatchObject({
      status: 429,
      body: { error: { type: "usage_limit_reached", code: "usage_limit_reached" } },
      headers: { "retry-after": "60" },
    });
  });

  it("hides the details of unexpected errors", () => {
    const reply = toOpenAIError(new TypeError("secret internal detail at /home/x"));
    expect(reply.status).toBe(500);
    expect(reply.body.error.message).toBe("Internal error");
    expect(JSON.stringify(reply)).not.toContain("secret");
    expect(toOpenAIError("a string").status).toBe(500);
  });

  it("builds stream error bodies with the type and code a non-stream answer gets", () => {
    expect(streamErrorBody({ message: "m", code: "server_error" })).toEqual({
      error: { message: "m", type: "upstream_error", param: null, code: "server_error" },
    });
    expect(streamErrorBody({ message: "too long", code: "context_length_exceeded" })).toEqual({
      error: {
        message: "too long",
        type: "invalid_request_error",
        param: null,
        code: "context_length_exceeded",
      },
    });
    expect(streamErrorBody({ message: "m" }).error.code).toBe("upstream_error");
  });
});
