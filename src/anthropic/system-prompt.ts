// The top-level `system` (a string or text blocks) → the texts sent as developer messages. Claude Code puts a
// billing line in its first system block ("x-anthropic-billing-header: cc_version=2.1.197.a3f; cc_entrypoint=cli;")
// whose fingerprint changes with every prompt; left in, it would change the start of every request and the
// backend's prompt cache would never hit. It is Anthropic's own accounting and means nothing to the model: dropped.

import type { MessagesRequest } from "./request-schema.ts";

export const BILLING_HEADER_PREFIX = "x-anthropic-billing-header:";

export function systemTexts(system: MessagesRequest["system"]): string[] {
  if (system === null || system === undefined) return [];
  const texts = typeof system === "string" ? [system] : system.map((block) => block.text);
  const out: string[] = [];
  for (const text of texts) {
    const kept = withoutBillingHeader(text);
    if (kept.trim() !== "") out.push(kept);
  }
  return out;
}

/** The text without its billing-header lines. */
export function withoutBillingHeader(text: string): string {
  if (!text.includes(BILLING_HEADER_PREFIX)) return text;
  return text
    .split("\n")
    .filter((line) => !line.trimStart().startsWith(BILLING_HEADER_PREFIX))
    .join("\n")
    .replace(/^\n+/, "");
}
