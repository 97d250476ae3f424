// Best-effort revocation of a refresh token on logout, as the Codex CLI does (codex-rs/login/src/auth/revoke.rs):
// POST <issuer>/oauth/revoke, JSON {token, token_type_hint:"refresh_token", client_id}. A failure never stops the
// logout: the local copy is removed either way.

export async function revokeRefreshToken(
  fetchFn: typeof fetch,
  revokeUrl: string,
  clientId: string,
  refreshToken: string,
): Promise<boolean> {
  try {
    const res = await fetchFn(revokeUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token: refreshToken, token_type_hint: "refresh_token", client_id: clientId }),
      signal: AbortSignal.timeout(10_000),
    });
    await res.body?.cancel().catch(() => undefined);
    return res.ok;
  } catch {
    return false;
  }
}
