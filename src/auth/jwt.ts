// Reads the claims of the ChatGPT id/access tokens. No signature check: the relay only uses them to schedule
// refreshes and to show the account on /health; the backend verifies the token itself.

export interface TokenClaims {
  /** Expiry, seconds since the epoch; null when absent or not a number. */
  exp: number | null;
  accountId: string | null;
  planType: string | null;
  userId: string | null;
  email: string | null;
}

const AUTH_NAMESPACE = "https://api.openai.com/auth";
const PROFILE_NAMESPACE = "https://api.openai.com/profile";

/** The claims of a JWT, or null when `token` is not a JWT with a JSON object payload. */
export function decodeJwtClaims(token: string | null | undefined): TokenClaims | null {
  if (!token) return null;
  const parts = token.split(".");
  if (parts.length !== 3 || !parts[1]) return null;
  const payload = decodePayload(parts[1]);
  if (!payload) return null;
  const auth = asRecord(payload[AUTH_NAMESPACE]);
  const profile = asRecord(payload[PROFILE_NAMESPACE]);
  const exp = payload.exp;
  return {
    exp: typeof exp === "number" && Number.isFinite(exp) ? exp : null,
    accountId: str(auth?.chatgpt_account_id),
    planType: str(auth?.chatgpt_plan_type),
    userId: str(auth?.chatgpt_user_id) ?? str(auth?.user_id),
    email: str(payload.email) ?? str(profile?.email),
  };
}

/** The `iat` claim (seconds since the epoch) of a JWT, or null. */
export function decodeJwtIssuedAt(token: string | null | undefined): number | null {
  const segment = token?.split(".")[1];
  const iat = segment ? decodePayload(segment)?.iat : undefined;
  return typeof iat === "number" && Number.isFinite(iat) ? iat : null;
}

function decodePayload(segment: string): Record<string, unknown> | null {
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(segment)) return null;
  try {
    const b64 = segment.replace(/=+$/, "").replace(/-/g, "+").replace(/_/g, "/");
    const binary = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    return asRecord(JSON.parse(new TextDecoder().decode(bytes)));
  } catch {
    return null;
  }
}

function asRecord(v: unknown): Record<string, unknown> | null {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

function str(v: unknown): string | null {
  return typeof v === "string" && v !== "" ? v : null;
}
