// Where the sign-in flows talk to the issuer (default https://auth.openai.com), with the paths the Codex CLI uses
// (codex-rs/login/src/server.rs, device_code_auth.rs, auth/revoke.rs).

/** The scopes the Codex CLI asks for (server.rs `build_authorize_url`). */
export const LOGIN_SCOPE = "openid profile email offline_access api.connectors.read api.connectors.invoke";
/** The local callback ports on the issuer's redirect allow-list: 1455, and 1457 when 1455 is taken. */
export const DEFAULT_CALLBACK_PORT = 1455;
export const FALLBACK_CALLBACK_PORT = 1457;
export const CALLBACK_PATH = "/auth/callback";

export interface OAuthEndpoints {
  issuer: string;
  authorize: string;
  token: string;
  revoke: string;
  deviceUserCode: string;
  deviceToken: string;
  /** The page where the user types the device code. */
  deviceVerification: string;
  /** The redirect_uri of the device flow's code exchange. */
  deviceRedirectUri: string;
}

/** `tokenUrl` (CHATGPT_OAUTH_TOKEN_URL) replaces the token endpoint alone. */
export function oauthEndpoints(issuer: string, tokenUrl?: string | null): OAuthEndpoints {
  const base = issuer.replace(/\/+$/, "");
  return {
    issuer: base,
    authorize: `${base}/oauth/authorize`,
    token: tokenUrl || `${base}/oauth/token`,
    revoke: `${base}/oauth/revoke`,
    deviceUserCode: `${base}/api/accounts/deviceauth/usercode`,
    deviceToken: `${base}/api/accounts/deviceauth/token`,
    deviceVerification: `${base}/codex/device`,
    deviceRedirectUri: `${base}/deviceauth/callback`,
  };
}

export interface AuthorizeParams {
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  state: string;
  originator: string;
}

/** The browser's sign-in URL, with the parameters (and their order) of the Codex CLI. */
export function authorizeUrl(endpoints: OAuthEndpoints, p: AuthorizeParams): string {
  const query: [string, string][] = [
    ["response_type", "code"],
    ["client_id", p.clientId],
    ["redirect_uri", p.redirectUri],
    ["scope", LOGIN_SCOPE],
    ["code_challenge", p.codeChallenge],
    ["code_challenge_method", "S256"],
    ["id_token_add_organizations", "true"],
    ["codex_cli_simplified_flow", "true"],
    ["state", p.state],
    ["originator", p.originator],
  ];
  const qs = query.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&");
  return `${endpoints.authorize}?${qs}`;
}

export function callbackRedirectUri(port: number): string {
  return `http://localhost:${port}${CALLBACK_PATH}`;
}
