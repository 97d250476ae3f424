// Codex's fast mode is the backend's `service_tier: "priority"`. A client asks for it with a `-fast` model variant
// ("gpt-5.5-fast", "gpt-5.5-high-fast") or a request field (`service_tier: "priority"`, or "fast"); "flex" passes
// too. The tier goes to the backend only where the catalogue offers it; asking for it where it does not is a 400
// naming what was asked. "auto"/"default" (and values the backend does not know) mean the backend's default.

import { invalidRequest } from "../core/errors.ts";
import type { CatalogModel } from "./catalog.ts";

export const FAST_SUFFIX = "-fast";
export const FAST_TIER = "priority";

const FIELD_TIERS: Record<string, string> = { priority: FAST_TIER, fast: FAST_TIER, flex: "flex" };

/** The tier a request field names, or undefined for the default. */
export function tierOfField(value: unknown): string | undefined {
  return typeof value === "string" ? FIELD_TIERS[value.trim().toLowerCase()] : undefined;
}

/**
 * The service_tier to send: the `-fast` variant's, else the request field's; checked against the catalogue entry
 * (an entry from the built-in fallback list, whose tiers are unknown, lets it through).
 */
export function resolveServiceTier(
  model: string,
  entry: Pick<CatalogModel, "serviceTiers"> | undefined,
  fromVariant: string | undefined,
  field: { name: string; value: unknown },
): string | undefined {
  const tier = fromVariant ?? tierOfField(field.value);
  if (tier === undefined) return undefined;
  const offered = entry?.serviceTiers;
  if (offered && !offered.includes(tier)) {
    const what = tier === FAST_TIER ? "fast mode (service_tier priority)" : `service_tier ${tier}`;
    throw fromVariant
      ? invalidRequest(
          "model",
          `Invalid value for 'model': ${model} has no ${what}; use '${model}' without '${FAST_SUFFIX}'.`,
        )
      : invalidRequest(field.name, `Invalid value for '${field.name}': ${model} has no ${what}.`);
  }
  return tier;
}
