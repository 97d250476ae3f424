import { describe, expect, it } from "vitest";
import { toResponsesToolChoice, toResponsesTools } from "./to-responses-tools.ts";

describe("toResponsesTools", () => {
  it("flattens function tools with defaults", () => {
    expect(
      toResponsesTools([
        { type: "function", function: { name: "a" } },
        {
          type: "function",
          function: {
            name: "b",
            description: "B",
            parameters: { type: "object", required: ["x"] },
            strict: true,
          },
        },
      ]),
    ).toEqual([
      { type: "function", name: "a", parameters: { type: "object", properties: {} }, strict: false },
      {
        type: "function",
        name: "b",
        description: "B",
        parameters: { type: "object", required: ["x"] },
        strict: true,
      },
    ]);
  });

  it("maps tool_choice", () => {
    expect(toResponsesToolChoice("auto")).toBe("auto");
    expect(toResponsesToolChoice("none")).toBe("none");
    expect(toResponsesToolChoice("required")).toBe("required");
    expect(toResponsesToolChoice({ type: "function", function: { name: "f" } })).toEqual({
      type: "function",
      name: "f",
    });
  });
});
