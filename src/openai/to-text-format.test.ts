import { describe, expect, it } from "vitest";
import { toTextFormat } from "./to-text-format.ts";

describe("toTextFormat", () => {
  it("maps response_format to text.format", () => {
    expect(toTextFormat(undefined)).toBeUndefined();
    expect(toTextFormat({ type: "text" })).toBeUndefined();
    expect(toTextFormat({ type: "json_object" })).toEqual({ type: "json_object" });
    expect(
      toTextFormat({
        type: "json_schema",
        json_schema: { name: "person", schema: { type: "object" }, description: "P" },
      }),
    ).toEqual({
      type: "json_schema",
      name: "person",
      schema: { type: "object" },
      strict: false,
      description: "P",
    });
    expect(toTextFormat({ type: "json_schema", json_schema: { schema: {}, strict: true } })).toEqual({
      type: "json_schema",
      name: "response",
      schema: {},
      strict: true,
    });
  });
});
