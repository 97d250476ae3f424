// The model catalogue the fake serves at GET /backend-api/codex/models, with the fields the real one has.

export type ModelEntry = Record<string, unknown> & { slug: string };

const EFFORT_TEXT: Record<string, string> = {
  low: "Fast responses with lighter reasoning",
  medium: "Balances speed and reasoning depth for everyday tasks",
  high: "Greater reasoning depth for complex problems",
  xhigh: "Extra high reasoning depth for complex problems",
};

function model(
  slug: string,
  displayName: string,
  description: string,
  o: {
    priority: number;
    efforts: string[];
    visibility?: "list" | "hide";
    fast?: boolean;
    verbosity?: string;
  },
): ModelEntry {
  return {
    slug,
    display_name: displayName,
    description,
    default_reasoning_level: "medium",
    supported_reasoning_levels: o.efforts.map((effort) => ({
      effort,
      description: EFFORT_TEXT[effort] ?? effort,
    })),
    shell_type: "shell_command",
    visibility: o.visibility ?? "list",
    minimal_client_version: "0.120.0",
    supported_in_api: o.visibility !== "hide",
    priority: o.priority,
    base_instructions: `You are Codex, based on ${displayName}. You are running as a coding agent; be precise and concise.`,
    supports_reasoning_summaries: true,
    default_reasoning_summary: "auto",
    support_verbosity: true,
    default_verbosity: o.verbosity ?? "low",
    apply_patch_tool_type: "freeform",
    input_modalities: ["text", "image"],
    supports_parallel_tool_calls: true,
    context_window: 272000,
    max_context_window: 272000,
    truncation_policy: { mode: "tokens", limit: 10000 },
    service_tiers: o.fast ? [{ id: "priority", name: "Fast" }] : [],
    prefer_websockets: false,
  };
}

const ALL = ["low", "medium", "high", "xhigh"];

export function defaultModels(): ModelEntry[] {
  return [
    model("gpt-5.5", "GPT-5.5", "Frontier agentic coding model.", { priority: 0, efforts: ALL, fast: true }),
    model("gpt-5.4", "GPT-5.4", "Strong everyday coding model.", { priority: 1, efforts: ALL, fast: true }),
    model("gpt-5.4-mini", "GPT-5.4-Mini", "Smaller, faster and cheaper.", {
      priority: 2,
      efforts: ["low", "medium", "high"],
      verbosity: "medium",
    }),
    model("gpt-5.3-codex", "GPT-5.3-Codex", "Codex-tuned model for agentic coding.", {
      priority: 3,
      efforts: ALL,
    }),
    model("codex-auto-review", "Codex Auto Review", "Reviews tool calls that need approval.", {
      priority: 99,
      efforts: ["low", "medium", "high"],
      visibility: "hide",
    }),
  ];
}
