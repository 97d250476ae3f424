import { describe, expect, it } from "vitest";
import { effortVariants, resolveModel } from "./resolve-model.ts";

const ctx = { aliases: {}, debugModel: null };

describe("resolveModel", () => {
  it("passes plain and unknown names through, trimmed and lower-cased", () => {
    expect(resolveModel("gpt-5.5", ctx)).toEqual({ model: "gpt-5.5" });
    expect(resolveModel("  GPT-5.5 ", ctx)).toEqual({ model: "gpt-5.5" });
    expect(resolveModel("my-model", ctx)).toEqual({ model: "my-model" });
  });

  it("strips an Ollama tag", () => {
    expect(resolveModel("gpt-5.5:latest", ctx)).toEqual({ model: "gpt-5.5" });
    expect(resolveModel("gpt-5.5-high:7b", ctx)).toEqual({ model: "gpt-5.5", effort: "high" });
  });

  it("splits an effort suffix", () => {
    for (const effort of ["none", "minimal", "low", "medium", "high", "xhigh"] as const) {
      expect(resolveModel(`gpt-5.5-${effort}`, ctx)).toEqual({ model: "gpt-5.5", effort });
    }
    expect(resolveModel("gpt-5.4-mini", ctx)).toEqual({ model: "gpt-5.4-mini" });
  });

  it("splits the suffix only off known bases when the catalogue is given", () => {
    const knownModels = new Set(["gpt-5.5", "odd-high"]);
    expect(resolveModel("gpt-5.5-low", { ...ctx, knownModels })).toEqual({ model: "gpt-5.5", effort: "low" });
    expect(resolveModel("unknown-high", { ...ctx, knownModels })).toEqual({ model: "unknown-high" });
    expect(resolveModel("odd-high", { ...ctx, knownModels })).toEqual({ model: "odd-high" });
  });

  it("applies aliases (whose targets may carry a suffix)", () => {
    const aliases = { fast: "gpt-5.4-mini", "Deep-Think": "gpt-5.5-xhigh" };
    expect(resolveModel("fast", { ...ctx, aliases })).toEqual({ model: "gpt-5.4-mini" });
    expect(resolveModel("deep-think:latest", { ...ctx, aliases })).toEqual({
      model: "gpt-5.5",
      effort: "xhigh",
    });
  });

  it("lets DEBUG_MODEL override the request", () => {
    expect(resolveModel("gpt-4o", { ...ctx, debugModel: "gpt-5.5-low" })).toEqual({
      model: "gpt-5.5",
      effort: "low",
    });
  });

  it("reads a -fast suffix after the effort suffix, for known models only", () => {
    const known = new Set(["gpt-5.5"]);
    expect(resolveModel("gpt-5.5-fast", { ...ctx, knownModels: known })).toEqual({
      model: "gpt-5.5",
      fast: true,
    });
    expect(resolveModel("GPT-5.5-high-fast", { ...ctx, knownModels: known })).toEqual({
      model: "gpt-5.5",
      effort: "high",
      fast: true,
    });
    expect(resolveModel("other-fast", { ...ctx, knownModels: known })).toEqual({ model: "other-fast" });
  });

  it("lists effort variants", () => {
    expect(effortVariants("gpt-5.5", ["low", "high"])).toEqual(["gpt-5.5-low", "gpt-5.5-high"]);
  });
});
