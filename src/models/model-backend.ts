// Which backend serves a model name: the Codex backend (the catalogue knows it, it is an alias, or DEBUG_MODEL
// redirects everything) or, with OLLAMA_API_URL, the local Ollama that has it. Codex names win a clash. Every
// dialect's routes ask here; a name neither knows is "unknown" (the Ollama routes answer 404 as Ollama does, the
// OpenAI routes pass it to the backend, which answers with its own message).

import type { Relay } from "../relay.ts";
import type { CatalogModel } from "./catalog.ts";
import { prepareModel, type PreparedModel } from "../routes/prepare-model.ts";
import { ollamaUpstreamOf, type OllamaUpstream } from "../upstream/ollama-upstream.ts";

export interface CodexModelMatch extends PreparedModel {
  /** The catalogue entry of the resolved model, if the catalogue knows it. */
  entry: CatalogModel | undefined;
  /** True when the relay serves the name: the catalogue knows it, it is an alias, or DEBUG_MODEL redirects all. */
  known: boolean;
}

export type ModelBackend =
  | { kind: "codex"; match: CodexModelMatch }
  | { kind: "ollama"; match: CodexModelMatch; ollama: OllamaUpstream }
  | { kind: "unknown"; match: CodexModelMatch };

export async function matchCodexModel(relay: Relay, requested: string): Promise<CodexModelMatch> {
  const prepared = await prepareModel(relay, requested);
  const entry = await relay.catalog.get(prepared.model);
  const known = entry !== undefined || relay.config.debugModel !== null || isAlias(relay, requested);
  return { ...prepared, entry, known };
}

/** The backend that serves `requested`; the Ollama server is asked only when the Codex side does not know it. */
export async function modelBackendOf(relay: Relay, requested: string): Promise<ModelBackend> {
  const match = await matchCodexModel(relay, requested);
  if (match.known) return { kind: "codex", match };
  const ollama = ollamaUpstreamOf(relay);
  if (ollama && (await ollama.has(requested))) return { kind: "ollama", match, ollama };
  return { kind: "unknown", match };
}

/** Whether a request for `model` goes to the Ollama server; false at once when OLLAMA_API_URL is unset. */
export async function isOllamaModel(relay: Relay, model: string): Promise<boolean> {
  if (!ollamaUpstreamOf(relay)) return false;
  return (await modelBackendOf(relay, model)).kind === "ollama";
}

function isAlias(relay: Relay, requested: string): boolean {
  const aliases = relay.config.modelAliases;
  const colon = requested.lastIndexOf(":");
  const bare = (colon > 0 ? requested.slice(0, colon) : requested).trim().toLowerCase();
  for (const key of Object.keys(aliases)) if (key.trim().toLowerCase() === bare) return true;
  return false;
}
