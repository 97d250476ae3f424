// The token contract shared by every runtime (SPEC §2). A store keeps the Codex CLI's auth.json content; the
// TokenManager decides when to refresh and makes sure only one refresh runs at a time, in this process and,
// through the store's lock, across processes.

/** The `tokens` object of the Codex CLI's auth.json. */
export interface CodexTokens {
  id_token: string;
  access_token: string;
  refresh_token: string;
  account_id?: string | null;
}

/**
 * The whole auth.json document. Unknown keys (auth_mode, OPENAI_API_KEY, agent_identity, …) are kept as they are,
 * so that a file written by the relay stays valid for the CLI.
 */
export interface AuthDocument {
  tokens: CodexTokens;
  last_refresh?: string | null;
  [key: string]: unknown;
}

export interface TokenStore {
  /** Short name for /health: "file", "memory", "redis", "kv". */
  readonly kind: string;
  /** Where the tokens live, safe to show (a path, a key name); never a secret. */
  readonly location: string;
  /** The current document, or null when the store holds none. */
  load(): Promise<AuthDocument | null>;
  /**
   * Compare-and-set: write `next` only if the stored refresh token is still `expectedRefreshToken` (null: the store
   * must be empty). Returns false, writing nothing, when another writer got there first.
   */
  save(next: AuthDocument, expectedRefreshToken: string | null): Promise<boolean>;
  /**
   * Run `fn` while holding the store's refresh lock (cross-process where the store is shared). `fn` receives the
   * document re-read after the lock was taken: another holder may have refreshed already.
   */
  withRefreshLock<T>(fn: (current: AuthDocument | null) => Promise<T>): Promise<T>;
}

/**
 * Every store is keyed by account: a TokenStore instance holds the document of one account, and a runtime builds
 * one per account through its factory (file: one auth.json per account; Redis/KV/Durable Object: one key or
 * object per account). The single sign-in of the default set-up uses DEFAULT_ACCOUNT_KEY; the account pool uses
 * one key per account, so the load / compare-and-set / refresh-lock contract above never changes shape.
 */
export type TokenStoreFactory = (accountKey: string) => TokenStore;

/** The account key of the single sign-in (the relay's own login, auth.json, OPENAI_CODEX_AUTH). */
export const DEFAULT_ACCOUNT_KEY = "default";

/** What an upstream request needs. */
export interface Credentials {
  accessToken: string;
  accountId: string;
}

export type TokenSourceKind = "env-access-token" | "env-auth-json" | "store";

/** Token state for /health and /debug/auth. Never contains a secret, at most a short fingerprint. */
export interface TokenStatus {
  source: TokenSourceKind | "none";
  store: { kind: string; location: string };
  accountId: string | null;
  planType: string | null;
  email: string | null;
  accessTokenFingerprint: string | null;
  expiresAt: string | null;
  expiresInSeconds: number | null;
  lastRefresh: string | null;
  refreshable: boolean;
  /** Set after a failed refresh; `needsSignIn` when the failure is permanent. */
  lastError: { message: string; code: string | null; at: string; needsSignIn: boolean } | null;
  /**
   * Set while the token store cannot be read, written or locked. Requests keep being served while the tokens in
   * memory are valid; `unsavedTokens`: a refreshed pair lives only in memory until the store takes it.
   */
  storeError?: { message: string; code: string; at: string; unsavedTokens: boolean } | null;
  refreshCount: number;
}
