import { describe, expect, it } from "vitest";
import { RelayError } from "../core/errors.ts";
import { backendParam, withClientParam } from "./backend-param.ts";

const backend400 = (message: string) =>
  new RelayError(400, message, { code: "upstream_invalid_request", headers: { "x-request-id": "r" } });

describe("backendParam", () => {
  it("reads the field the backend's sentence names", () => {
    expect(backendParam("Missing required parameter: 'tools[0].name'.")).toBe("tools[0].name");
    expect(backendParam("Invalid type for 'input[7]': expected an object.")).toBe("input[7]");
    expect(backendParam("Invalid value for 'text.format.type': 'xml' is not supported.")).toBe(
      "text.format.type",
    );
    expect(backendParam("Unsupported parameter: max_output_tokens")).toBe("max_output_tokens");
    expect(backendParam("Invalid 'input[2].content[0].image_url': not a URL.")).toBe(
      "input[2].content[0].image_url",
    );
  });

  it("finds none in sentences that name no field", () => {
    expect(backendParam("Store must be set to false")).toBeNull();
    expect(backendParam("Item with id 'msg_1' not found.")).toBeNull();
    expect(
      backendParam("The 'gpt-9' model is not supported when using Codex with a ChatGPT account."),
    ).toBeNull();
  });
});

describe("withClientParam", () => {
  it("names the client's field: input indexes shift back by the items the relay put in front", () => {
    const err = withClientParam(backend400("Invalid type for 'input[7].content': expected an array."), 3);
    expect(err).toBeInstanceOf(RelayError);
    const e = err as RelayError;
    expect([e.status, e.param, e.code, e.type]).toEqual([
      400,
      "input[4].content",
      "upstream_invalid_request",
      "invalid_request_error",
    ]);
    expect(e.headers).toEqual({ "x-request-id": "r" });
    expect(
      (withClientParam(backend400("Missing required parameter: 'tools[0].name'."), 3) as RelayError).param,
    ).toBe("tools[0].name");
  });

  it("leaves the error alone when the field is one the relay added, or the error is not a backend 400", () => {
    const front = backend400("Invalid type for 'input[1]': expected an object.");
    expect(withClientParam(front, 2)).toBe(front);
    const limit = new RelayError(429, "Missing required parameter: 'x'.");
    expect(withClientParam(limit, 0)).toBe(limit);
    const named = new RelayError(400, "Invalid value for 'a'.", { param: "b" });
    expect(withClientParam(named, 0)).toBe(named);
  });
});
