// The device-code sign-in (codex-rs/login/src/device_code_auth.rs): ask the issuer for a user code, let the user
// type it at <issuer>/codex/device, poll until the issuer hands out an authorization code (403/404 mean "not
// yet"), for at most 15 minutes; the code is then exchanged like the browser flow's, with the issuer's own
// /deviceauth/callback as redirect_uri and the PKCE pair the issuer returns.

import { LoginError, issuerUnreachable } from "./login-error.ts";
import type { OAuthEndpoints } from "./oauth-endpoints.ts";

/** How long the Codex CLI polls before it gives up (and what it tells the user the code lasts). */
export const DEVICE_CODE_LIFETIME_MS = 15 * 60_000;

export interface DeviceCode {
  verificationUrl: string;
  userCode: string;
  deviceAuthId: string;
  intervalMs: number;
}

export interface DeviceGrant {
  authorizationCode: string;
  codeChallenge: string;
  codeVerifier: string;
}

export async function requestDeviceCode(
  fetchFn: typeof fetch,
  endpoints: OAuthEndpoints,
  clientId: string,
): Promise<DeviceCode> {
  let res: Response;
  try {
    res = await fetchFn(endpoints.deviceUserCode, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ client_id: clientId }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    throw issuerUnreachable(endpoints.issuer, err);
  }
  if (res.status === 404) {
    throw new LoginError(
      "device_code_unavailable",
      `${endpoints.issuer} does not offer device-code sign-in. Use the browser sign-in (\`codex-relay login\`).`,
    );
  }
  if (!res.ok) {
    throw new LoginError("device_code_failed", `The device-code request failed (HTTP ${res.status}).`);
  }
  const body = (await res.json().catch(() => null)) as Record<string, unknown> | null;
  const userCode = body?.user_code ?? body?.usercode;
  const id = body?.device_auth_id;
  if (typeof userCode !== "string" || typeof id !== "string") {
    throw new LoginError("device_code_failed", "The device-code reply has no user_code or device_auth_id.");
  }
  // The issuer sends the interval as a string of seconds.
  const seconds = Number(typeof body?.interval === "string" ? body.interval.trim() : body?.interval);
  return {
    verificationUrl: endpoints.deviceVerification,
    userCode,
    deviceAuthId: id,
    intervalMs: Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 5000,
  };
}

export interface PollOptions {
  fetch: typeof fetch;
  endpoints: OAuthEndpoints;
  code: DeviceCode;
  /** Default 15 minutes, like the CLI. */
  lifetimeMs?: number;
  /** Called before every wait with the time left (for a countdown). */
  onWait?: (msLeft: number) => void;
  signal?: AbortSignal;
  now?: () => number;
}

export async function pollDeviceCode(o: PollOptions): Promise<DeviceGrant> {
  const now = o.now ?? Date.now;
  const deadline = now() + (o.lifetimeMs ?? DEVICE_CODE_LIFETIME_MS);
  for (;;) {
    let res: Response;
    try {
      res = await o.fetch(o.endpoints.deviceToken, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ device_auth_id: o.code.deviceAuthId, user_code: o.code.userCode }),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (err) {
      throw issuerUnreachable(o.endpoints.issuer, err);
    }
    if (res.ok) {
      const b = (await res.json().catch(() => null)) as Record<string, unknown> | null;
      if (
        typeof b?.authorization_code !== "string" ||
        typeof b.code_verifier !== "string" ||
        typeof b.code_challenge !== "string"
      ) {
        throw new LoginError("device_code_failed", "The device-code reply has no authorization code.");
      }
      return {
        authorizationCode: b.authorization_code,
        codeChallenge: b.code_challenge,
        codeVerifier: b.code_verifier,
      };
    }
    await res.body?.cancel().catch(() => undefined);
    if (res.status !== 403 && res.status !== 404) {
      throw new LoginError("device_code_failed", `Device-code sign-in failed (HTTP ${res.status}).`);
    }
    const left = deadline - now();
    if (left <= 0) {
      throw new LoginError(
        "device_code_expired",
        "The device code expired before the sign-in was completed. Run `codex-relay login --device` again.",
      );
    }
    o.onWait?.(left);
    await sleep(Math.min(o.code.intervalMs, left), o.signal);
    if (o.signal?.aborted) throw new LoginError("cancelled", "Sign-in cancelled.");
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
  });
}
