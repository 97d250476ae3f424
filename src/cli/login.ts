// `codex-relay login`: signs in with ChatGPT without the Codex CLI, the way the CLI does it (browser PKCE flow
// with a local callback server, or the device-code flow), and saves the tokens in the Codex auth.json layout.
// Headless machines: the address the browser ends on can be pasted at the prompt instead.

import { createInterface } from "node:readline";
import type { Config } from "../config.ts";
import { authDocumentFrom, exchangeAuthorizationCode } from "../auth/code-exchange.ts";
import { pollDeviceCode, requestDeviceCode } from "../auth/device-code.ts";
import { decodeJwtClaims } from "../auth/jwt.ts";
import { LoginError } from "../auth/login-error.ts";
import {
  DEFAULT_CALLBACK_PORT,
  FALLBACK_CALLBACK_PORT,
  authorizeUrl,
  callbackRedirectUri,
  oauthEndpoints,
  type OAuthEndpoints,
} from "../auth/oauth-endpoints.ts";
import { generatePkce, generateState } from "../auth/pkce.ts";
import type { AuthDocument } from "../auth/types.ts";
import { checkRedirect, startCallbackServer } from "./callback-server.ts";
import { mmss, stylesFor, type Out } from "./terminal.ts";

export interface LoginIo {
  out: Out;
  err: Out;
  /** Where a pasted redirect address comes from (stdin); null: no paste prompt. */
  input: NodeJS.ReadableStream | null;
  openBrowser?: (url: string) => boolean;
}

export interface LoginOptions {
  config: Pick<Config, "oauthIssuer" | "oauthTokenUrl" | "clientId" | "originator">;
  /** Persists the new sign-in; returns where it went (for the message). */
  save: (doc: AuthDocument) => Promise<string>;
  device?: boolean;
  /** Open the browser (when one is available). */
  browser?: boolean;
  /** Callback ports in order of preference (default 1455, then 1457). */
  ports?: number[];
  bindAttempts?: number;
  /** Device flow: how long to poll (default 15 minutes). */
  deviceLifetimeMs?: number;
  fetch?: typeof fetch;
}

export interface LoginResult {
  doc: AuthDocument;
  path: string;
}

export async function runLogin(o: LoginOptions, io: LoginIo): Promise<LoginResult> {
  const endpoints = oauthEndpoints(o.config.oauthIssuer, o.config.oauthTokenUrl);
  const doFetch: typeof fetch = o.fetch ?? ((input, init) => fetch(input, init));
  const result = o.device
    ? await deviceLogin(o, io, endpoints, doFetch)
    : await browserLogin(o, io, endpoints, doFetch);
  const s = stylesFor(io.out);
  const c = decodeJwtClaims(result.doc.tokens.id_token) ?? decodeJwtClaims(result.doc.tokens.access_token);
  io.out.write(
    `\n${s.green("Signed in")} as ${s.bold(c?.email ?? "(no e-mail in the token)")}` +
      `${c?.planType ? ` (plan ${c.planType})` : ""}.\nSaved to ${result.path}\n` +
      `Check it with ${s.bold("codex-relay status")}; start the relay with ${s.bold("codex-relay serve")}.\n`,
  );
  return result;
}

async function browserLogin(
  o: LoginOptions,
  io: LoginIo,
  endpoints: OAuthEndpoints,
  doFetch: typeof fetch,
): Promise<LoginResult> {
  const s = stylesFor(io.out);
  const pkce = await generatePkce();
  const state = generateState();
  let saved: LoginResult | null = null;
  let redirectUri = "";
  let inflight: Promise<void> | null = null;

  // One completion for both ways in (browser or paste): the first one wins, a second is refused.
  const complete = (code: string): Promise<void> => {
    inflight ??= (async () => {
      const tokens = await exchangeAuthorizationCode({
        fetch: doFetch,
        tokenUrl: endpoints.token,
        issuer: endpoints.issuer,
        clientId: o.config.clientId,
        code,
        redirectUri,
        codeVerifier: pkce.verifier,
      });
      const doc = authDocumentFrom(tokens);
      saved = { doc, path: await o.save(doc) };
    })();
    return inflight;
  };

  const server = await startCallbackServer({
    ports: o.ports ?? [DEFAULT_CALLBACK_PORT, FALLBACK_CALLBACK_PORT],
    state,
    complete,
    bindAttempts: o.bindAttempts,
    onStateMismatch: () =>
      io.err.write(
        `${stylesFor(io.err).yellow("warning:")} ignored a sign-in callback whose state does not match this login.\n`,
      ),
  });
  redirectUri = callbackRedirectUri(server.port);
  const url = authorizeUrl(endpoints, {
    clientId: o.config.clientId,
    redirectUri,
    codeChallenge: pkce.challenge,
    state,
    originator: o.config.originator,
  });

  io.out.write(`Sign in with your ChatGPT account. Open this address in a browser:\n\n  ${s.cyan(url)}\n\n`);
  if (o.browser !== false && io.openBrowser?.(url)) io.out.write(s.dim("(opened in your browser)\n"));
  io.out.write(
    `Waiting for the browser on ${redirectUri} …\n` +
      (io.input
        ? `On another machine? Sign in there, then paste here the address the browser ends on ` +
          `(it starts with ${redirectUri}):\n`
        : ""),
  );

  const paste = io.input ? readPastedRedirect(io, state, complete) : null;
  try {
    await Promise.race(paste ? [server.done, paste.done] : [server.done]);
    if (inflight) await inflight;
  } finally {
    paste?.stop();
    await server.close();
  }
  if (!saved) throw new LoginError("login_failed", "The sign-in did not complete.");
  return saved;
}

/** Reads lines until one is this login's redirect address; other lines get a hint and the prompt stays. */
function readPastedRedirect(
  io: LoginIo,
  state: string,
  complete: (code: string) => Promise<void>,
): { done: Promise<void>; stop: () => void } {
  const rl = createInterface({ input: io.input!, terminal: false });
  const e = stylesFor(io.err);
  let stop = () => rl.close();
  const done = new Promise<void>((resolve, reject) => {
    stop = () => {
      rl.removeAllListeners("line");
      rl.close();
    };
    rl.on("line", (line) => {
      const text = line.trim();
      if (!text) return;
      let url: URL;
      try {
        // The whole address, or just its query (`code=…&state=…`).
        if (!/^https?:\/\//i.test(text) && !/^\??(code|state|error)=/.test(text))
          throw new Error("not a URL");
        url = new URL(
          /^https?:/i.test(text) ? text : `http://localhost/auth/callback?${text.replace(/^\?/, "")}`,
        );
      } catch {
        io.err.write(
          `${e.yellow("That is not an address.")} Paste the whole address from the browser's address bar.\n`,
        );
        return;
      }
      const r = checkRedirect(url, state);
      if (r.kind === "state_mismatch") {
        io.err.write(
          `${e.yellow("That address belongs to another sign-in")} (its state does not match). Paste the address ` +
            "from the sign-in started here.\n",
        );
        return;
      }
      if (r.kind === "error") return reject(r.error);
      complete(r.code).then(resolve, reject);
    });
  });
  return { done, stop };
}

async function deviceLogin(
  o: LoginOptions,
  io: LoginIo,
  endpoints: OAuthEndpoints,
  doFetch: typeof fetch,
): Promise<LoginResult> {
  const s = stylesFor(io.out);
  const code = await requestDeviceCode(doFetch, endpoints, o.config.clientId);
  const lifetime = o.deviceLifetimeMs;
  io.out.write(
    `Sign in with your ChatGPT account using a one-time code:\n\n` +
      `  1. Open ${s.cyan(code.verificationUrl)} and sign in\n` +
      `  2. Enter the code ${s.bold(code.userCode)} ${s.dim(`(expires in ${Math.round((lifetime ?? 15 * 60_000) / 60_000)} minutes)`)}\n\n` +
      s.dim("Device codes are a common phishing target: never share this code.\n\n"),
  );
  const deadline = Date.now() + (lifetime ?? 15 * 60_000);
  // A countdown: redrawn every second on a terminal, a line a minute otherwise (logs stay readable).
  const tty = io.out.isTTY === true;
  let lastLine = 0;
  const tick = () => {
    const left = deadline - Date.now();
    if (tty) io.out.write(`\r  waiting for the code to be entered … ${mmss(left)} left `);
    else if (Date.now() - lastLine >= 60_000) {
      lastLine = Date.now();
      io.out.write(`waiting for the code to be entered (${mmss(left)} left)\n`);
    }
  };
  tick();
  const timer = setInterval(tick, 1000);
  let grant;
  try {
    grant = await pollDeviceCode({ fetch: doFetch, endpoints, code, lifetimeMs: lifetime });
  } finally {
    clearInterval(timer);
    if (tty) io.out.write("\n");
  }
  const tokens = await exchangeAuthorizationCode({
    fetch: doFetch,
    tokenUrl: endpoints.token,
    issuer: endpoints.issuer,
    clientId: o.config.clientId,
    code: grant.authorizationCode,
    redirectUri: endpoints.deviceRedirectUri,
    codeVerifier: grant.codeVerifier,
  });
  const doc = authDocumentFrom(tokens);
  return { doc, path: await o.save(doc) };
}
