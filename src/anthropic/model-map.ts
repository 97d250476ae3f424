// Claude model names → the model (and effort) that serves them. Claude Code asks for claude-opus-*, claude-sonnet-*,
// claude-haiku-* (and appends "[1m]" for its 1M-context variants); the Anthropic SDK's users name any Claude model.
//   1. an exact name in ANTHROPIC_MODEL_MAP ("claude-opus-4-8=gpt-5.5-xhigh");
//   2. for claude-* / anthropic* names, the family found in the name (opus, sonnet, haiku; sonnet when none is):
//      ANTHROPIC_MODEL_MAP's entry for the family, else the default —
//        opus   → the strongest model (the catalogue's first) at high effort,
//        sonnet → the same model at the default effort (REASONING_EFFORT),
//        haiku  → a fast model (the first "mini" in the catalogue) at low effort;
//   3. any other name (gpt-5.5, gpt-5.5-high, an alias) passes through to the usual model resolution.
// The target may carry an effort suffix; the reply echoes the name the client asked for.

import type { CatalogModel } from "../models/catalog.ts";

export const CLAUDE_FAMILIES = ["opus", "sonnet", "haiku"] as const;
export type ClaudeFamily = (typeof CLAUDE_FAMILIES)[number];

const FALLBACK_MODEL = "gpt-5.5";

/** The model name (possibly with an effort suffix) to resolve for a requested Anthropic model name. */
export function anthropicModelTarget(
  requested: string,
  map: Record<string, string>,
  models: readonly Pick<CatalogModel, "slug" | "listed">[],
): string {
  const name = requested
    .trim()
    .toLowerCase()
    .replace(/\[[^\]]*\]$/, "");
  const exact = lookup(map, name);
  if (exact !== undefined) return exact;
  if (!/^(claude|anthropic)/.test(name)) return requested;
  const family = CLAUDE_FAMILIES.find((f) => name.includes(f)) ?? "sonnet";
  return lookup(map, family) ?? defaultTarget(family, models);
}

export function defaultTarget(
  family: ClaudeFamily,
  models: readonly Pick<CatalogModel, "slug" | "listed">[],
): string {
  const listed = models.filter((m) => m.listed !== false);
  const strongest = listed[0]?.slug ?? FALLBACK_MODEL;
  switch (family) {
    case "opus":
      return `${strongest}-high`;
    case "sonnet":
      return strongest;
    case "haiku":
      return `${listed.find((m) => m.slug.includes("mini"))?.slug ?? strongest}-low`;
  }
}

function lookup(map: Record<string, string>, name: string): string | undefined {
  for (const key of Object.keys(map)) {
    if (key.trim().toLowerCase() === name) return map[key];
  }
  return undefined;
}
