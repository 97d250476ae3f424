import { describe, expect, it } from "vitest";
import { z } from "zod";
import { toParamPath, zodErrorToInvalidRequest } from "./validation.ts";

function errorFor(schema: z.ZodType, input: unknown) {
  const r = schema.safeParse(input);
  if (r.success) throw new Error("expected a failure");
  return zodErrorToInvalidRequest(r.error, input);
}

describe("validation", () => {
  it("formats paths the OpenAI way", () => {
    expect(toParamPath(["messages", 2, "content", 0, "image_url"])).toBe("messages[2].content[0].image_url");
    expect(toParamPath([])).toBe("");
  });

  it("names missing fields, wrong types and enum values", () => {
    const s = z.object({ a: z.string(), b: z.array(z.object({ c: z.enum(["x", "y"]) })).min(1) });
    expect(errorFor(s, { b: [{ c: "x" }] })).toMatchObject({
      status: 400,
      param: "a",
      message: "Missing required parameter: 'a'.",
    });
    expect(errorFor(s, { a: 1, b: [] }).message).toBe(
      "Invalid type for 'a': expected a string, but got an integer.",
    );
    expect(errorFor(s, { a: "", b: [] }).message).toBe("'b' must be a non-empty array.");
    expect(errorFor(s, { a: "", b: [{ c: "z" }] })).toMatchObject({
      param: "b[0].c",
      message: "Invalid value for 'b[0].c': 'z' is not one of x, y.",
    });
  });

  it("explains unions by the branch that got furthest", () => {
    const s = z.object({ v: z.union([z.string(), z.array(z.object({ t: z.string() })).max(2)]) });
    expect(errorFor(s, { v: [{ t: 1 }] }).param).toBe("v[0].t");
    expect(errorFor(s, { v: 3 }).message).toBe(
      "Invalid type for 'v': expected a string or an array, but got an integer.",
    );
    expect(errorFor(s, { v: ["a", "b", "c"] }).param).toBe("v");
  });

  it("substitutes {param} in custom messages", () => {
    const s = z.object({ n: z.number().refine((n) => n === 1, { message: "'{param}' must be 1." }) });
    expect(errorFor(s, { n: 2 })).toMatchObject({ param: "n", message: "'n' must be 1." });
  });
});
