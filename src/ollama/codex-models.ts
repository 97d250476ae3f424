// Which model names the Codex backend serves, for the Ollama routes: they answer 404 for unknown names (as Ollama
// does) and, with OLLAMA_API_URL, send the names the backend does not serve to the real Ollama.

import type { Relay } from "../relay.ts";
import type { CatalogModel } from "../models/catalog.ts";
import type { ReasoningEffort } from "../responses/types.ts";
import { REASONING_EFFORTS } from "../config.ts";
import { prepareModel, type PreparedModel } from "../routes/prepare-model.ts";

export interface CodexModelMatch extends PreparedModel {
  /** The catalogue entry of the resolved model, if the catalogue knows it. */
  entry: CatalogModel | undefined;
  /** True when the relay serves the name: the catalogue knows it, it is an alias, or DEBUG_MODEL redirects all. */
  known: boolean;
}

export async function matchCodexModel(relay: Relay, requested: string): Promise<CodexModelMatch> {
  const prepared = await prepareModel(relay, requested);
  const entry = await relay.catalog.get(prepared.model);
  const known = entry !== undefined || relay.config.debugModel !== null || isAlias(relay, requested);
  return { ...prepared, entry, known };
}

function isAlias(relay: Relay, requested: string): boolean {
  const aliases = relay.config.modelAliases;
  const colon = requested.lastIndexOf(":");
  const bare = (colon > 0 ? requested.slice(0, colon) : requested).trim().toLowerCase();
  for (const key of Object.keys(aliases)) if (key.trim().toLowerCase() === bare) return true;
  return false;
}

/** The lowest effort a model takes: what `think:false` maps to (the backend always reasons a little). */
export function lowestEffort(entry: CatalogModel | undefined): ReasoningEffort | undefined {
  if (!entry || entry.efforts.length === 0) return undefined;
  for (const e of REASONING_EFFORTS) if (entry.efforts.includes(e)) return e;
  return undefined;
}
