// GET /v1/models and /v1/models/{id} for Anthropic clients (a request with an `anthropic-version` header):
// Anthropic's shapes, {type:"model", id, display_name, created_at} and the list {data:[…], has_more, first_id,
// last_id}. The Claude names Claude Code uses come first (it keeps only ids starting with claude/anthropic for its
// model picker), each with the model it maps to in its display name, then the relay's own model ids.

import type { ClaudeFamily } from "./model-map.ts";

export interface AnthropicModel {
  type: "model";
  id: string;
  display_name: string;
  created_at: string;
}

export interface AnthropicModelList {
  data: AnthropicModel[];
  has_more: false;
  first_id: string | null;
  last_id: string | null;
}

/** The names Claude Code 2.1 sends for its opus / sonnet / haiku aliases. */
export const CLAUDE_CODE_MODELS: Record<ClaudeFamily, string> = {
  opus: "claude-opus-4-8",
  sonnet: "claude-sonnet-5",
  haiku: "claude-haiku-4-5-20251001",
};

/** One model in Anthropic's shape; the display name names the model a Claude name maps to. */
export function anthropicModelInfo(
  entry: { id: string; target?: string },
  createdAt: number,
): AnthropicModel {
  return {
    type: "model",
    id: entry.id,
    display_name: entry.target === undefined ? entry.id : `${entry.id} (${entry.target})`,
    created_at: new Date(createdAt).toISOString(),
  };
}

export function anthropicModelList(
  entries: readonly { id: string; target?: string }[],
  createdAt: number,
): AnthropicModelList {
  const seen = new Set<string>();
  const data: AnthropicModel[] = [];
  for (const e of entries) {
    if (seen.has(e.id)) continue;
    seen.add(e.id);
    data.push(anthropicModelInfo(e, createdAt));
  }
  return { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
}
