// An x-codex-installation-id as it is kept (a file, Redis, a Durable Object): a UUID, in lower case as the Codex
// CLI writes its own `installation_id`; anything else is replaced by a new one.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The id a stored text holds, or null when it is not a UUID. */
export function parseInstallationId(text: string | null | undefined): string | null {
  const t = text?.trim() ?? "";
  return UUID.test(t) ? t.toLowerCase() : null;
}
