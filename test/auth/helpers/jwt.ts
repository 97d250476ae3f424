// Unsigned JWTs shaped like the ChatGPT id/access tokens, for tests.

import { Buffer } from "node:buffer";

export interface TokenClaimsInput {
  exp?: number | null;
  accountId?: string;
  planType?: string;
  userId?: string;
  email?: string;
  extra?: Record<string, unknown>;
}

export function mintJwt(input: TokenClaimsInput = {}): string {
  const payload: Record<string, unknown> = { ...input.extra };
  if (input.exp != null) payload.exp = input.exp;
  if (input.email) payload.email = input.email;
  const auth: Record<string, unknown> = {};
  if (input.accountId) auth.chatgpt_account_id = input.accountId;
  if (input.planType) auth.chatgpt_plan_type = input.planType;
  if (input.userId) auth.chatgpt_user_id = input.userId;
  if (Object.keys(auth).length > 0) payload["https://api.openai.com/auth"] = auth;
  return [{ alg: "none", typ: "JWT" }, payload].map(b64url).join(".") + ".c2ln";
}

function b64url(v: unknown): string {
  return Buffer.from(JSON.stringify(v)).toString("base64url");
}
