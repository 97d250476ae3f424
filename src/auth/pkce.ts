// PKCE and state for the browser sign-in, as the Codex CLI makes them (codex-rs/login/src/pkce.rs, server.rs):
// a verifier of 64 random bytes and a state of 32, both base64url without padding; the challenge is
// base64url(SHA-256(verifier)), method S256. Web Crypto only, so it runs on every runtime.

export interface Pkce {
  verifier: string;
  challenge: string;
}

export function base64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomBase64Url(size: number): string {
  return base64Url(crypto.getRandomValues(new Uint8Array(size)));
}

export async function challengeFor(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64Url(new Uint8Array(digest));
}

export async function generatePkce(): Promise<Pkce> {
  const verifier = randomBase64Url(64);
  return { verifier, challenge: await challengeFor(verifier) };
}

export function generateState(): string {
  return randomBase64Url(32);
}
