// Resolves the model a client asked for (aliases, Ollama tags, effort suffixes, DEBUG_MODEL) and the base
// instructions to send with it. The catalogue is cached, so this is a map lookup on the hot path.

import type { Relay } from "../relay.ts";
import { invalidRequest } from "../core/errors.ts";
import type { ReasoningEffort, ResponsesRequestBody } from "../responses/types.ts";
import { resolveModel } from "../models/resolve-model.ts";
import { FAST_TIER, resolveServiceTier } from "../models/service-tier.ts";

export interface PreparedModel {
  model: string;
  effort?: ReasoningEffort;
  instructions: string;
  /**
   * The service_tier to send (fast mode from a "-fast" variant, else the request's field), checked against the
   * catalogue; throws a 400 naming the model or the field when the model does not offer it.
   */
  serviceTier(field?: { name: string; value: unknown }): string | undefined;
}

export async function prepareModel(relay: Relay, requested: string): Promise<PreparedModel> {
  const models = await relay.catalog.list();
  const known = knownSlugs(models);
  const { model, effort, fast } = resolveModel(requested, {
    aliases: relay.config.modelAliases,
    debugModel: relay.config.debugModel,
    knownModels: known,
  });
  // A name that resolves to nothing (" ", ":latest") would reach the backend as an empty model.
  if (model === "")
    throw invalidRequest("model", `Invalid value for 'model': '${requested}' names no model.`);
  const entry = await relay.catalog.get(model);
  return {
    model,
    effort,
    instructions: entry?.baseInstructions ?? relay.config.codexInstructions,
    serviceTier: (field = { name: "service_tier", value: undefined }) =>
      resolveServiceTier(model, entry, fast ? FAST_TIER : undefined, field),
  };
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

/** Puts the resolved service tier on a backend body (or takes a client's unresolved one off). */
export function setServiceTier(body: ResponsesRequestBody, tier: string | undefined): void {
  if (tier === undefined) delete body.service_tier;
  else body.service_tier = tier;
}
