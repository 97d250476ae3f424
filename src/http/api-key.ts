// The relay's own client key (OPENAI_API_KEY): `Authorization: Bearer <key>` or `x-api-key: <key>`, compared in
// constant time so the comparison leaks neither how much of a guess was right nor how long the real key is.
//
// The work done depends only on the length of what the client presented: every presented byte is compared (no early
// exit), against the expected key's bytes taken cyclically, and a length mismatch is folded into the result instead
// of returning early. The expected key is encoded once, so its length does not show in the time either.

const encoder = new TextEncoder();

/** A checker for one expected key: `(presented) => boolean`, constant-time in the sense above. */
export function keyVerifier(expected: string): (presented: string) => boolean {
  const want = encoder.encode(expected);
  // An empty expected key never matches (the relay treats an empty OPENAI_API_KEY as unset); a one-byte stand-in
  // keeps the loop below free of a special case.
  const ref = want.length === 0 ? new Uint8Array(1) : want;
  const refLen = ref.length;
  return (presented: string): boolean => {
    const got = encoder.encode(presented);
    let diff = (got.length ^ want.length) | (want.length === 0 ? 1 : 0);
    for (let i = 0, j = 0; i < got.length; i++) {
      diff |= got[i]! ^ ref[j]!;
      // j = i mod refLen without a data-dependent division.
      j = j + 1 === refLen ? 0 : j + 1;
    }
    return diff === 0;
  };
}

/** One-off comparison of a presented key `a` with the expected key `b` (prefer keyVerifier for a fixed key). */
export function constantTimeEqual(a: string, b: string): boolean {
  return keyVerifier(b)(a);
}

export function presentedKey(headers: { get(name: string): string | null | undefined }): string | null {
  const auth = headers.get("authorization");
  if (auth) {
    const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (m) return m[1]!.trim();
  }
  return headers.get("x-api-key")?.trim() || null;
}
