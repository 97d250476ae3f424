import { describe, expect, it } from "vitest";
import { chooseReasoning } from "./reasoning-options.ts";

const ctx = {
  defaults: { effort: "medium" as const, summary: "auto" as const },
  supported: ["low", "medium", "high", "xhigh"] as const,
};

describe("chooseReasoning", () => {
  it("takes output_config.effort first, max as xhigh", () => {
    expect(chooseReasoning({ output_config: { effort: "max" } }, ctx).effort).toBe("xhigh");
    expect(
      chooseReasoning(
        { output_config: { effort: "low" }, thinking: { type: "adaptive" } },
        { ...ctx, modelEffort: "high" },
      ),
    ).toEqual({ effort: "low", summary: "auto", showThinking: true, showThinkingText: true });
  });

  it("then the model's effort, then the thinking budget, then the default", () => {
    const haiku = { thinking: { type: "enabled" as const, budget_tokens: 31999 } };
    expect(chooseReasoning(haiku, { ...ctx, modelEffort: "low" }).effort).toBe("low");
    expect(chooseReasoning(haiku, ctx).effort).toBe("xhigh");
    expect(chooseReasoning({ thinking: { type: "enabled", budget_tokens: 2000 } }, ctx).effort).toBe(
      "medium",
    );
    expect(chooseReasoning({}, ctx)).toEqual({
      effort: "medium",
      summary: "auto",
      showThinking: false,
      showThinkingText: false,
    });
  });

  it("disabled thinking: the lowest supported effort and no blocks", () => {
    expect(chooseReasoning({ thinking: { type: "disabled" } }, ctx)).toEqual({
      effort: "low",
      summary: "none",
      showThinking: false,
      showThinkingText: false,
    });
  });

  it("display omitted: blocks without text, no summary asked", () => {
    expect(chooseReasoning({ thinking: { type: "adaptive", display: "omitted" } }, ctx)).toMatchObject({
      summary: "none",
      showThinking: true,
      showThinkingText: false,
    });
  });

  it("clamps to what the model supports", () => {
    const mini = { ...ctx, supported: ["low", "medium", "high"] as const };
    expect(chooseReasoning({ output_config: { effort: "xhigh" } }, mini).effort).toBe("high");
    expect(
      chooseReasoning({ output_config: { effort: "low" } }, { ...ctx, supported: ["medium"] }).effort,
    ).toBe("medium");
  });
});
