// The short-lived local server the browser comes back to after signing in (like codex-rs/login/src/server.rs):
// 127.0.0.1, port 1455 or, when that stays taken, 1457 (the two ports on the issuer's redirect allow-list);
// GET /auth/callback carries `code` and `state` (or `error`), GET /cancel stops a sign-in that is waiting.

import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { CALLBACK_PATH } from "../auth/oauth-endpoints.ts";
import { LoginError } from "../auth/login-error.ts";

export interface CallbackResult {
  code: string;
}

/** What the login does with a redirect that carries the right state: exchange the code, save; or throw. */
export type CompleteSignIn = (code: string) => Promise<void>;

export interface CallbackServer {
  port: number;
  /** Resolves once a sign-in completed through the browser; rejects with a LoginError on refusal or cancel. */
  done: Promise<void>;
  close(): Promise<void>;
}

export interface CallbackServerOptions {
  ports: number[];
  state: string;
  complete: CompleteSignIn;
  /** A callback with the wrong state (it is answered 400 and the login keeps waiting). */
  onStateMismatch?: () => void;
  /** Binding attempts per port before the next port is tried; 200 ms apart (the CLI: 10). */
  bindAttempts?: number;
}

export async function startCallbackServer(o: CallbackServerOptions): Promise<CallbackServer> {
  let settle!: { resolve: () => void; reject: (e: LoginError) => void };
  const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  let finished = false;
  const finish = (err?: LoginError) => {
    if (finished) return;
    finished = true;
    if (err) settle.reject(err);
    else settle.resolve();
  };

  const server = createServer((req, res) => {
    void handle(req, res).catch(() => {
      if (!res.headersSent) page(res, 500, "Sign-in could not be completed", "Unexpected error.");
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname === "/cancel") {
      res.writeHead(200, { "content-type": "text/plain", connection: "close" }).end("Login cancelled");
      finish(new LoginError("cancelled", "The sign-in was cancelled (another sign-in started)."));
      return;
    }
    if (url.pathname !== CALLBACK_PATH) {
      res.writeHead(404, { "content-type": "text/plain" }).end("Not Found");
      return;
    }
    if (finished) {
      page(
        res,
        409,
        "Sign-in already finished",
        "This sign-in has already finished; return to the terminal.",
      );
      return;
    }
    const result = checkRedirect(url, o.state);
    if (result.kind === "state_mismatch") {
      o.onStateMismatch?.();
      res.writeHead(400, { "content-type": "text/plain" }).end("State mismatch");
      return;
    }
    if (result.kind === "error") {
      page(res, 200, "Sign-in could not be completed", result.error.message);
      finish(result.error);
      return;
    }
    try {
      await o.complete(result.code);
    } catch (err) {
      const e = err instanceof LoginError ? err : new LoginError("login_failed", String(err));
      page(res, 200, "Sign-in could not be completed", e.message);
      finish(e);
      return;
    }
    page(res, 200, "Signed in to codex-relay", "You can close this window and return to the terminal.");
    finish();
  }

  const port = await listenOnFirstFree(server, o.ports, o.bindAttempts ?? 10);
  return {
    port,
    done,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export type RedirectCheck =
  { kind: "code"; code: string } | { kind: "state_mismatch" } | { kind: "error"; error: LoginError };

/** What a redirect URL (from the browser or pasted) says, with its state checked first, like the CLI. */
export function checkRedirect(url: URL, expectedState: string): RedirectCheck {
  const p = url.searchParams;
  if (p.get("state") !== expectedState) return { kind: "state_mismatch" };
  const error = p.get("error");
  if (error) {
    const description = p.get("error_description")?.trim();
    const missingCodex = error === "access_denied" && /missing_codex_entitlement/i.test(description ?? "");
    const message = missingCodex
      ? "Codex is not enabled for your workspace. Ask your workspace administrator for access to Codex."
      : error === "access_denied"
        ? `The sign-in was refused (access_denied${description ? `: ${description}` : ""}). Run \`codex-relay login\` again and allow access.`
        : `The sign-in failed (${error}${description ? `: ${description}` : ""}). Run \`codex-relay login\` again.`;
    return { kind: "error", error: new LoginError(error, message) };
  }
  const code = p.get("code");
  if (!code) {
    return {
      kind: "error",
      error: new LoginError("missing_authorization_code", "The redirect carries no authorization code."),
    };
  }
  return { kind: "code", code };
}

async function listenOnFirstFree(server: Server, ports: number[], attempts: number): Promise<number> {
  for (const port of ports) {
    for (let attempt = 0; attempt < attempts; attempt++) {
      const outcome = await tryListen(server, port);
      if (outcome === "ok") return (server.address() as AddressInfo).port;
      // A sign-in left waiting on this port (ours or the Codex CLI's) is asked to stop once, as the CLI does.
      if (attempt === 0) await sendCancel(port);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const list = ports.map((p) => `127.0.0.1:${p}`).join(" and ");
  throw new LoginError(
    "port_busy",
    `Cannot wait for the browser: ${list} ${ports.length > 1 ? "are" : "is"} already in use. Stop the program ` +
      "using it, or sign in without a local port: `codex-relay login --device`.",
  );
}

function tryListen(server: Server, port: number): Promise<"ok" | "busy"> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off("listening", onListening);
      if (err.code === "EADDRINUSE" || err.code === "EACCES") resolve("busy");
      else reject(err);
    };
    const onListening = () => {
      server.off("error", onError);
      resolve("ok");
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen(port, "127.0.0.1");
  });
}

function sendCancel(port: number): Promise<void> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path: "/cancel", timeout: 2000 }, (res) => {
      res.resume();
      res.on("end", resolve);
    });
    req.on("error", () => resolve());
    req.on("timeout", () => (req.destroy(), resolve()));
    req.end();
  });
}

function page(res: ServerResponse, status: number, title: string, message: string): void {
  const body =
    `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>` +
    `<body style="font-family:sans-serif;max-width:40em;margin:4em auto"><h1>${escapeHtml(title)}</h1>` +
    `<p>${escapeHtml(message)}</p></body></html>`;
  res.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "content-length": Buffer.byteLength(body),
    connection: "close",
  });
  res.end(body);
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
