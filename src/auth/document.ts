// Helpers for the auth.json document: validation of what a store or env var holds, account id, age.

import { decodeJwtClaims } from "./jwt.ts";
import type { AuthDocument } from "./types.ts";

/**
 * `value` as an AuthDocument, or null when it holds no ChatGPT tokens (e.g. an API-key-only auth.json with
 * `"tokens": null`). Unknown keys are kept. A missing id_token/refresh_token becomes "" (not refreshable).
 */
export function toAuthDocument(value: unknown): AuthDocument | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const doc = value as Record<string, unknown>;
  const tokens = doc.tokens;
  if (typeof tokens !== "object" || tokens === null || Array.isArray(tokens)) return null;
  const t = tokens as Record<string, unknown>;
  if (typeof t.access_token !== "string" || t.access_token === "") return null;
  return {
    ...doc,
    tokens: {
      ...t,
      id_token: typeof t.id_token === "string" ? t.id_token : "",
      access_token: t.access_token,
      refresh_token: typeof t.refresh_token === "string" ? t.refresh_token : "",
    },
  } as AuthDocument;
}

/**
 * An auth.json file the relay cannot use: damaged (not JSON), or holding only an API key (what
 * `codex login --with-api-key` writes). The message names the file and the fix, never its content.
 */
export class AuthFileProblem extends Error {
  constructor(
    readonly kind: "damaged" | "api_key_only",
    readonly where: string,
  ) {
    super(
      kind === "damaged"
        ? `${where} is not valid JSON (the file is damaged). Sign in again with \`codex-relay login\`, or restore the file.`
        : `${where} holds only an OpenAI API key (what \`codex login --with-api-key\` writes), and the relay needs ` +
            "a ChatGPT sign-in: run `codex-relay login`.",
    );
    this.name = "AuthFileProblem";
  }
}

/**
 * Parse auth.json text. Throws a message of our own on bad JSON: JSON.parse's message quotes the input, which
 * would put a token into a log line.
 */
export function parseAuthJson(text: string, what: string): AuthDocument | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${what} is not valid JSON`);
  }
  return toAuthDocument(value);
}

/** An auth.json file's text: the document, null when it holds nothing, AuthFileProblem when it cannot be used. */
export function parseAuthFile(text: string, path: string): AuthDocument | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AuthFileProblem("damaged", path);
  }
  const doc = toAuthDocument(value);
  if (doc === null && typeof value === "object" && value !== null) {
    const key = (value as Record<string, unknown>).OPENAI_API_KEY;
    if (typeof key === "string" && key !== "") throw new AuthFileProblem("api_key_only", path);
  }
  return doc;
}

/** tokens.account_id, else the chatgpt_account_id claim of the access token, else of the id token. */
export function accountIdOf(doc: AuthDocument): string | null {
  const stored = doc.tokens.account_id;
  if (typeof stored === "string" && stored !== "") return stored;
  return (
    decodeJwtClaims(doc.tokens.access_token)?.accountId ??
    decodeJwtClaims(doc.tokens.id_token)?.accountId ??
    null
  );
}

/** last_refresh in ms since the epoch, or null when absent or unreadable. */
export function lastRefreshMs(doc: AuthDocument | null): number | null {
  const v = doc?.last_refresh;
  if (typeof v !== "string") return null;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? null : ms;
}

/** Whether `a` was refreshed after `b` (a document without last_refresh counts as oldest). */
export function isNewer(a: AuthDocument, b: AuthDocument): boolean {
  return (lastRefreshMs(a) ?? -Infinity) > (lastRefreshMs(b) ?? -Infinity);
}
