// Node only. Each account's x-codex-installation-id, kept across restarts the way the Codex CLI keeps its own
// (`$CODEX_HOME/installation_id`: a UUID v4 in a plain file, made once, replaced when it does not parse): here one
// file per account, `$CODEX_RELAY_HOME/installation-ids/<account key>`. Redis keeps them for every instance instead
// (redis-pool-state.ts), a Worker in each account's Durable Object.

import { randomUUID } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "../core/logger.ts";
import { relayHomeDir } from "./account-files.ts";
import { parseInstallationId } from "./installation-id.ts";

export function installationIdPath(relayHome: string | null | undefined, accountKey: string): string {
  return join(relayHomeDir(relayHome), "installation-ids", accountKey);
}

/**
 * The account's persisted installation id, made on first use. A folder that cannot be written gives a fresh id
 * for this process (logged): the relay still serves.
 */
export async function fileInstallationId(
  relayHome: string | null | undefined,
  accountKey: string,
  logger?: Logger,
): Promise<string> {
  const path = installationIdPath(relayHome, accountKey);
  let exists = false;
  try {
    const id = parseInstallationId(await readFile(path, "utf8"));
    if (id) return id;
    exists = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") return unsaved(err);
  }
  const id = randomUUID();
  try {
    await mkdir(join(path, ".."), { recursive: true, mode: 0o700 });
    // "wx": two relays starting at once agree on the first one written.
    await writeFile(path, id, { flag: exists ? "w" : "wx", mode: 0o644 });
    return id;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") {
      const other = parseInstallationId(await readFile(path, "utf8").catch(() => null));
      if (other) return other;
    }
    return unsaved(err);
  }

  function unsaved(err: unknown): string {
    logger?.warn(
      { account: accountKey, path, err: err instanceof Error ? err.message : String(err) },
      "could not keep the installation id; this process uses a new one",
    );
    return randomUUID();
  }
}
