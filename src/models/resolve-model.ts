// The model name a client sends → the backend model and an optional reasoning effort.
//   DEBUG_MODEL (if set) replaces whatever was asked for;
//   an Ollama tag is dropped: "gpt-5.5:latest" → "gpt-5.5";
//   MODEL_ALIASES maps an exact alias name to its target;
//   an effort suffix selects the effort: "gpt-5.5-high" → gpt-5.5 with effort high;
//   a "-fast" suffix (after it) selects Codex's fast mode: "gpt-5.5-high-fast" → gpt-5.5, effort high, fast.
// Names are trimmed and lower-cased. Unknown models pass through: the backend answers with its own message.

import { REASONING_EFFORTS } from "../config.ts";
import type { ReasoningEffort } from "../responses/types.ts";
import { FAST_SUFFIX } from "./service-tier.ts";

export interface ResolveModelContext {
  aliases: Record<string, string>;
  debugModel: string | null;
  /** The catalogue's slugs. When given, a suffix is only split off when the base is a known model. */
  knownModels?: ReadonlySet<string>;
}

export interface ResolvedModel {
  model: string;
  effort?: ReasoningEffort;
  /** The name asked for fast mode (a "-fast" variant). */
  fast?: true;
}

const SUFFIX = new RegExp(`^(.+)-(${REASONING_EFFORTS.join("|")})$`);

function stripTag(name: string): string {
  const colon = name.lastIndexOf(":");
  return colon > 0 ? name.slice(0, colon) : name;
}

function lookupAlias(name: string, aliases: Record<string, string>): string | undefined {
  if (Object.hasOwn(aliases, name)) return aliases[name];
  const lower = name.toLowerCase();
  for (const key of Object.keys(aliases)) {
    if (key.trim().toLowerCase() === lower) return aliases[key];
  }
  return undefined;
}

export function resolveModel(requested: string, ctx: ResolveModelContext): ResolvedModel {
  const debug = ctx.debugModel?.trim();
  let name = stripTag(debug ? debug : requested.trim()).trim();
  const alias = lookupAlias(name, ctx.aliases);
  if (alias !== undefined) name = stripTag(alias.trim()).trim();
  name = name.toLowerCase();

  const known = ctx.knownModels;
  if (known?.has(name)) return { model: name };
  if (name.endsWith(FAST_SUFFIX) && name.length > FAST_SUFFIX.length) {
    const base = splitEffort(name.slice(0, -FAST_SUFFIX.length), known);
    if (!known || known.has(base.model)) return { ...base, fast: true };
  }
  return splitEffort(name, known);
}

function splitEffort(name: string, known: ReadonlySet<string> | undefined): ResolvedModel {
  if (known?.has(name)) return { model: name };
  const m = SUFFIX.exec(name);
  if (m) {
    const base = m[1] as string;
    const effort = m[2] as ReasoningEffort;
    if (!known || known.has(base)) return { model: base, effort };
  }
  return { model: name };
}

/** The model ids with an effort suffix that /v1/models lists for a model: "gpt-5.5-low", "gpt-5.5-high", … */
export function effortVariants(model: string, efforts: readonly ReasoningEffort[]): string[] {
  return efforts.map((e) => `${model}-${e}`);
}
