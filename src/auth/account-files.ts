// Node only. The relay's own sign-ins: one auth.json (the Codex CLI's layout) per account in
// `$CODEX_RELAY_HOME/accounts/` (default `~/.codex-relay/accounts/`). `codex-relay login` adds a file; copying an
// auth.json there adds an account too. The file name (without .json) is the account's key in the token stores.

import { readdir, unlink } from "node:fs/promises";
import { homedir } from "node:os";
import { basename, join } from "node:path";
import { decodeJwtClaims } from "./jwt.ts";
import { accountIdOf } from "./document.ts";
import { writeAtomic } from "./file-store.ts";
import type { AuthDocument } from "./types.ts";

export function relayHomeDir(relayHome: string | null | undefined): string {
  return relayHome || join(homedir(), ".codex-relay");
}

export function accountsDir(relayHome: string | null | undefined): string {
  return join(relayHomeDir(relayHome), "accounts");
}

/** The account files present, sorted by name; none when the folder does not exist. */
export async function listAccountFiles(relayHome: string | null | undefined): Promise<string[]> {
  const dir = accountsDir(relayHome);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  return names
    .filter((n) => n.endsWith(".json") && !n.startsWith("."))
    .sort()
    .map((n) => join(dir, n));
}

/** The account key of an account file: its name without `.json`. */
export function accountKeyOf(path: string): string {
  return basename(path).replace(/\.json$/, "");
}

/**
 * A readable, stable name for a sign-in: the e-mail and the start of the workspace id, so signing in again with the
 * same account replaces its file and another workspace of the same person gets its own.
 */
export function accountFileName(doc: AuthDocument): string {
  const claims = decodeJwtClaims(doc.tokens.id_token) ?? decodeJwtClaims(doc.tokens.access_token);
  const email = claims?.email?.toLowerCase().replace(/[^a-z0-9@._+-]/g, "_") ?? "account";
  const accountId = (accountIdOf(doc) ?? "unknown").replace(/[^A-Za-z0-9-]/g, "").slice(0, 8);
  return `${email}-${accountId}.json`;
}

/** Writes the sign-in into the accounts folder (atomic, 0600); returns its path. */
export async function writeAccountFile(
  relayHome: string | null | undefined,
  doc: AuthDocument,
): Promise<string> {
  const path = join(accountsDir(relayHome), accountFileName(doc));
  await writeAtomic(path, JSON.stringify(doc, null, 2) + "\n");
  return path;
}

export async function removeFile(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
}
