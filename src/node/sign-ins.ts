// Node only. Where the relay finds its ChatGPT sign-ins, in this order (the first that yields any wins):
//   1. CHATGPT_ACCESS_TOKEN, 2. OPENAI_CODEX_AUTH (both one sign-in, read by the TokenManager itself),
//   3. the relay's own sign-ins: every auth.json in $CODEX_RELAY_HOME/accounts/ (`codex-relay login` writes them),
//   4. the Codex CLI's $CODEX_HOME/auth.json.
// Each sign-in gets its own token store from the factory (file: that file; memory: seeded from it once).

import type { Config } from "../config.ts";
import { accountKeyOf, listAccountFiles } from "../auth/account-files.ts";
import { createFileStore, defaultAuthPath, readAuthFile } from "../auth/file-store.ts";
import { createMemoryStore } from "../auth/memory-store.ts";
import { DEFAULT_ACCOUNT_KEY, type AuthDocument, type TokenStore } from "../auth/types.ts";

export interface SignIn {
  /** The account key in the token stores: the file name without .json, or "default". */
  key: string;
  /** The file the sign-in comes from (null: environment only). */
  file: string | null;
  /** "relay" (its own login), "codex" (the Codex CLI's auth.json), "env", or "redis" (the shared store). */
  origin: "relay" | "codex" | "env" | "redis";
  store: TokenStore;
  seedLoader?: () => Promise<AuthDocument | null>;
}

export async function discoverSignIns(config: Config): Promise<SignIn[]> {
  if (config.tokenStore === "redis") {
    // The Redis store needs a connection: token-stores.ts builds it (the server and `status` use that).
    throw new Error("with TOKEN_STORE=redis the accounts are listed from Redis (token-stores.ts)");
  }
  const fromEnv = config.chatgptAccessToken !== null || config.codexAuthJson !== null;
  const relayFiles = fromEnv ? [] : await listAccountFiles(config.relayHome);
  const codexFile = defaultAuthPath(config.codexHome);
  const files: { key: string; file: string; origin: SignIn["origin"] }[] = relayFiles.length
    ? relayFiles.map((file) => ({ key: accountKeyOf(file), file, origin: "relay" as const }))
    : [
        {
          key: DEFAULT_ACCOUNT_KEY,
          file: codexFile,
          origin: fromEnv ? ("env" as const) : ("codex" as const),
        },
      ];
  return files.map(({ key, file, origin }) =>
    config.tokenStore === "file"
      ? { key, file, origin, store: createFileStore(file) }
      : { key, file, origin, store: createMemoryStore(), seedLoader: () => readAuthFile(file) },
  );
}

/**
 * The relay's own sign-ins that are not in `known` yet (a login or a copied file while the relay runs). None when
 * the environment provides the tokens.
 */
export async function newRelaySignIns(config: Config, known: ReadonlySet<string>): Promise<SignIn[]> {
  if (config.chatgptAccessToken !== null || config.codexAuthJson !== null || config.tokenStore === "redis")
    return [];
  const files = await listAccountFiles(config.relayHome);
  return files
    .filter((file) => !known.has(accountKeyOf(file)))
    .map((file) => {
      const key = accountKeyOf(file);
      return config.tokenStore === "file"
        ? { key, file, origin: "relay" as const, store: createFileStore(file) }
        : {
            key,
            file,
            origin: "relay" as const,
            store: createMemoryStore(),
            seedLoader: () => readAuthFile(file),
          };
    });
}
