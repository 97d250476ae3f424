import { describe, expect, it } from "vitest";
import { FALLBACK_MODELS } from "./catalog.ts";
import { lowestEffort } from "./lowest-effort.ts";

describe("lowestEffort", () => {
  it("picks the lowest effort the model lists, none for a model without efforts", () => {
    const base = FALLBACK_MODELS[0]!;
    expect(lowestEffort({ ...base, efforts: ["high", "minimal", "medium"] })).toBe("minimal");
    expect(lowestEffort({ ...base, efforts: [] })).toBeUndefined();
    expect(lowestEffort(undefined)).toBeUndefined();
  });
});
