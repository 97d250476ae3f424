// `thinking` and `output_config.effort` → the backend's reasoning effort and whether thinking blocks are shown.
// Effort, first that applies:
//   thinking disabled            → the model's lowest supported effort, no thinking blocks;
//   output_config.effort         → as asked ("max" → xhigh), what the user picked (Claude Code's /effort);
//   the model's effort           → from ANTHROPIC_MODEL_MAP / the family default / a model-name suffix;
//   thinking.budget_tokens       → ≤ 1024 low, ≤ 8192 medium, ≤ 24576 high, else xhigh;
//   REASONING_EFFORT.
// Clamped to the efforts the model supports. The mapped effort comes before the budget because Claude Code sends a
// fixed budget (31999) with every haiku request, which would otherwise turn the fast model into the slowest one.
// Thinking blocks are shown when the client asked for thinking (enabled / adaptive / between_tools); with
// display:"omitted" their text is left empty (and no summary is requested), the signature still comes.

import type { ReasoningEffort, ReasoningSummary } from "../responses/types.ts";
import type { MessagesRequest } from "./request-schema.ts";

export interface ReasoningChoice {
  effort: ReasoningEffort;
  summary: ReasoningSummary;
  /** Render thinking blocks (with signatures). */
  showThinking: boolean;
  /** Render the thinking text (false: display "omitted"). */
  showThinkingText: boolean;
}

export interface ReasoningContext {
  /** Effort from the model map or the model name's suffix. */
  modelEffort?: ReasoningEffort;
  defaults: { effort: ReasoningEffort; summary: ReasoningSummary };
  /** The model's supported efforts, low to high (empty: unknown, no clamping). */
  supported: readonly ReasoningEffort[];
}

const ORDER: readonly ReasoningEffort[] = ["none", "minimal", "low", "medium", "high", "xhigh"];

export function chooseReasoning(
  req: Pick<MessagesRequest, "thinking" | "output_config">,
  ctx: ReasoningContext,
): ReasoningChoice {
  const thinking = req.thinking;
  if (thinking?.type === "disabled") {
    const lowest = [...ctx.supported].sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b))[0];
    return { effort: lowest ?? "low", summary: "none", showThinking: false, showThinkingText: false };
  }
  const asked = req.output_config?.effort;
  const budget = thinking?.type === "enabled" ? budgetEffort(thinking.budget_tokens) : undefined;
  const wanted: ReasoningEffort =
    (asked === "max" ? "xhigh" : asked) ?? ctx.modelEffort ?? budget ?? ctx.defaults.effort;
  const showThinking = thinking !== null && thinking !== undefined;
  const omitted = showThinking && "display" in thinking && thinking.display === "omitted";
  return {
    effort: clamp(wanted, ctx.supported),
    summary: omitted ? "none" : ctx.defaults.summary,
    showThinking,
    showThinkingText: showThinking && !omitted,
  };
}

export function budgetEffort(budget: number): ReasoningEffort {
  if (budget <= 1024) return "low";
  if (budget <= 8192) return "medium";
  if (budget <= 24576) return "high";
  return "xhigh";
}

/** The supported effort nearest to `effort` (the highest below it, else the lowest above it). */
export function clamp(effort: ReasoningEffort, supported: readonly ReasoningEffort[]): ReasoningEffort {
  if (supported.length === 0 || supported.includes(effort)) return effort;
  const rank = ORDER.indexOf(effort);
  const sorted = [...supported].sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b));
  const below = sorted.filter((e) => ORDER.indexOf(e) < rank).at(-1);
  return below ?? sorted[0] ?? effort;
}
