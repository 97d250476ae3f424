// The model-describing replies of Ollama's API for the Codex models: /api/tags entries, /api/show, /api/version.
// The models run remotely, so local-only facts have neutral values: size 0, no quantization, no parameter count.
// The digest is a stable hash of the name, so clients that key caches on it see the same model across restarts.

import type { CatalogModel } from "../models/catalog.ts";
import { hashToUuid } from "../core/hash.ts";
import type { OllamaModelDetails, OllamaShowResponse, OllamaTagModel } from "./ollama-types.ts";

/**
 * The Ollama version the relay reports. Clients gate features on it (structured outputs ≥ 0.5, thinking ≥ 0.9,
 * tool-call ids ≥ 0.12), and the relay supports all of them.
 */
export const OLLAMA_COMPAT_VERSION = "0.12.6";

/** Ollama names always carry a tag; the Codex models have only one. */
export function withTag(name: string): string {
  return name.includes(":") ? name : `${name}:latest`;
}

export function digestOf(name: string): string {
  return (hashToUuid(`ollama-digest\u0000${name}`) + hashToUuid(`ollama-digest-2\u0000${name}`)).replaceAll(
    "-",
    "",
  );
}

export const CODEX_DETAILS: OllamaModelDetails = {
  parent_model: "",
  format: "",
  family: "gpt",
  families: ["gpt"],
  parameter_size: "",
  quantization_level: "",
};

export function tagModel(id: string, modifiedAt: string): OllamaTagModel {
  const name = withTag(id);
  return {
    name,
    model: name,
    modified_at: modifiedAt,
    size: 0,
    digest: digestOf(name),
    details: CODEX_DETAILS,
  };
}

export function capabilitiesOf(model: CatalogModel): string[] {
  const caps = ["completion", "tools"];
  if (model.efforts.length > 0 || model.supportsReasoningSummaries) caps.push("thinking");
  if (model.inputModalities.includes("image")) caps.push("vision");
  return caps;
}

/** /api/show for a Codex model. `name` is what the client asked for (an alias or effort variant included). */
export function showResponse(name: string, model: CatalogModel, modifiedAt: string): OllamaShowResponse {
  const modelInfo: Record<string, unknown> = {
    "general.architecture": "gpt",
    "general.basename": model.slug,
    "general.name": model.displayName,
  };
  // Continue and Open WebUI read the context size from `<architecture>.context_length`.
  if (model.contextWindow !== null) modelInfo["gpt.context_length"] = model.contextWindow;
  return {
    modelfile: `# ${withTag(name)}: served by codex-relay from the ChatGPT Codex backend\nFROM ${model.slug}\n`,
    parameters: model.contextWindow !== null ? `num_ctx ${model.contextWindow}` : "",
    // The backend applies its own chat format; this is what a raw prompt amounts to.
    template: "{{ .Prompt }}",
    details: CODEX_DETAILS,
    model_info: modelInfo,
    capabilities: capabilitiesOf(model),
    modified_at: modifiedAt,
  };
}
