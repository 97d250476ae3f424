// The lowest reasoning effort a catalogue model takes: what Ollama's `think:false` maps to (the backend always
// reasons a little).

import type { CatalogModel } from "./catalog.ts";
import type { ReasoningEffort } from "../responses/types.ts";
import { REASONING_EFFORTS } from "../config.ts";

export function lowestEffort(entry: CatalogModel | undefined): ReasoningEffort | undefined {
  if (!entry || entry.efforts.length === 0) return undefined;
  for (const e of REASONING_EFFORTS) if (entry.efforts.includes(e)) return e;
  return undefined;
}
