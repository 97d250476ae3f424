// Resolves the model a client asked for (aliases, Ollama tags, effort suffixes, DEBUG_MODEL) and the base
// instructions to send with it. The catalogue is cached, so this is a map lookup on the hot path.

import type { Relay } from "../relay.ts";
import { invalidRequest } from "../core/errors.ts";
import type { ReasoningEffort } from "../responses/types.ts";
import { resolveModel } from "../models/resolve-model.ts";

export interface PreparedModel {
  model: string;
  effort?: ReasoningEffort;
  instructions: string;
}

export async function prepareModel(relay: Relay, requested: string): Promise<PreparedModel> {
  const models = await relay.catalog.list();
  const known = knownSlugs(models);
  const { model, effort } = resolveModel(requested, {
    aliases: relay.config.modelAliases,
    debugModel: relay.config.debugModel,
    knownModels: known,
  });
  // A name that resolves to nothing (" ", ":latest") would reach the backend as an empty model.
  if (model === "")
    throw invalidRequest("model", `Invalid value for 'model': '${requested}' names no model.`);
  const entry = await relay.catalog.get(model);
  return { model, effort, instructions: entry?.baseInstructions ?? relay.config.codexInstructions };
}

const slugCache = new WeakMap<object, Set<string>>();

function knownSlugs(models: { slug: string }[]): Set<string> {
  let set = slugCache.get(models);
  if (!set) {
    set = new Set(models.map((m) => m.slug));
    slugCache.set(models, set);
  }
  return set;
}
