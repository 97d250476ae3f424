// The relay's own client key (OPENAI_API_KEY): `Authorization: Bearer <key>` or `x-api-key: <key>`, compared in
// constant time so the comparison does not leak how much of a guess was right.

const encoder = new TextEncoder();

export function constantTimeEqual(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  const len = Math.max(x.length, y.length);
  let diff = x.length ^ y.length;
  for (let i = 0; i < len; i++) diff |= (x[i % (x.length || 1)] ?? 0) ^ (y[i % (y.length || 1)] ?? 0);
  return diff === 0;
}

export function presentedKey(headers: { get(name: string): string | null | undefined }): string | null {
  const auth = headers.get("authorization");
  if (auth) {
    const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (m) return m[1]!.trim();
  }
  return headers.get("x-api-key")?.trim() || null;
}
