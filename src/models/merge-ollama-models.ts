// /v1/models with the OLLAMA_API_URL server's models appended after the Codex ones (Codex names win a clash).
// Unchanged, and nothing contacted, when OLLAMA_API_URL is unset.

import type { Relay } from "../relay.ts";
import type { OpenAIModel } from "../routes/models.ts";
import { canonicalOllamaName, ollamaUpstreamOf } from "../upstream/ollama-upstream.ts";

export async function mergeOllamaModels<L extends { data: OpenAIModel[] }>(
  relay: Relay,
  list: L,
): Promise<L> {
  const upstream = ollamaUpstreamOf(relay);
  if (!upstream) return list;
  const remote = await upstream.models();
  if (remote.length === 0) return list;
  const seen = new Set(list.data.map((m) => canonicalOllamaName(m.id)));
  const extra: OpenAIModel[] = [];
  for (const m of remote) {
    if (seen.has(canonicalOllamaName(m.name))) continue;
    const created = Date.parse(m.modified_at);
    extra.push({
      id: m.name,
      object: "model",
      created: Number.isFinite(created) ? Math.floor(created / 1000) : Math.floor(relay.startedAt / 1000),
      owned_by: "ollama",
    });
  }
  return { ...list, data: [...list.data, ...extra] };
}
