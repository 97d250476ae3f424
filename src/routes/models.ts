// GET /v1/models and /v1/models/{id}: the catalogue's listed models, one variant per reasoning effort
// (gpt-5.5-high = gpt-5.5 with effort high), a -fast variant where the model offers fast mode, and the aliases.

import type { Relay } from "../relay.ts";
import { RelayError } from "../core/errors.ts";
import { FAST_SUFFIX, FAST_TIER } from "../models/service-tier.ts";

export interface OpenAIModel {
  id: string;
  object: "model";
  created: number;
  owned_by: string;
}

export async function listModelIds(relay: Relay): Promise<string[]> {
  const ids: string[] = [];
  for (const m of await relay.catalog.list()) {
    if (!m.listed) continue;
    ids.push(m.slug);
    for (const effort of m.efforts) ids.push(`${m.slug}-${effort}`);
    if (m.serviceTiers?.includes(FAST_TIER)) ids.push(`${m.slug}${FAST_SUFFIX}`);
  }
  for (const alias of Object.keys(relay.config.modelAliases)) if (!ids.includes(alias)) ids.push(alias);
  return ids;
}

export async function listModels(relay: Relay): Promise<{ object: "list"; data: OpenAIModel[] }> {
  const created = Math.floor(relay.startedAt / 1000);
  const ids = await listModelIds(relay);
  return { object: "list", data: ids.map((id) => ({ id, object: "model", created, owned_by: "openai" })) };
}

export async function getModel(relay: Relay, id: string): Promise<OpenAIModel> {
  const ids = await listModelIds(relay);
  const bare = id.replace(/:latest$/, "");
  if (!ids.includes(bare)) {
    throw new RelayError(404, `The model '${id}' does not exist or is not available through codex-relay.`, {
      code: "model_not_found",
      param: "model",
    });
  }
  return { id: bare, object: "model", created: Math.floor(relay.startedAt / 1000), owned_by: "openai" };
}
