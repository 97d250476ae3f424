// Runs in Node before the Worker suite: the fake backend + fake OAuth issuer on loopback, and a small control
// server through which tests inside workerd mint sign-ins and read what the issuer saw. Everything the Worker
// is configured with (vitest.workers.config.ts) is provided from here.

import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { TestProject } from "vitest/node";
import { startFakeUpstream } from "../fakes/server.ts";
import { readBody, sendJson } from "../fakes/http-util.ts";
import { usageLimitReached } from "../fakes/fake-chatgpt.ts";

/** The account ids of the pool project's sign-ins. */
export const ALICE = "aaaaaaaa-0000-4000-8000-00000000000a";
export const BOB = "bbbbbbbb-0000-4000-8000-00000000000b";

declare module "vitest" {
  export interface ProvidedContext {
    fakeUrl: string;
    controlUrl: string;
    seedAuth: string;
    /** The pool project's two accounts (test/workerd/pool/). */
    seedAuthAlice: string;
    seedAuthBob: string;
    encryptionKey: string;
    clientKey: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // A slow token endpoint, so that concurrent requests really overlap with the refresh.
  const fake = await startFakeUpstream({ refreshDelayMs: 300 });
  const control: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://control");
      if (req.method === "POST" && url.pathname === "/login") {
        const body = JSON.parse((await readBody(req)).toString("utf8") || "{}") as {
          ttlSeconds?: number;
          accountId?: string;
        };
        return sendJson(res, 200, fake.issuer.login(body));
      }
      if (req.method === "POST" && url.pathname === "/usage-limit") {
        // The backend answers this account's requests with a usage limit (until /usage-limit with none).
        const accounts = (url.searchParams.get("accounts") ?? "").split(",").filter(Boolean);
        const resetsInSeconds = Number(url.searchParams.get("resets") ?? "3600");
        fake.onRequest = accounts.length
          ? (r) =>
              accounts.includes(r.headers["chatgpt-account-id"] ?? "")
                ? usageLimitReached({ resetsInSeconds })
                : undefined
          : undefined;
        return sendJson(res, 200, { ok: true });
      }
      if (req.method === "POST" && url.pathname === "/account-usage") {
        // The primary window's used % the backend reports for this account's replies (none: every account's own
        // overrides cleared).
        const account = url.searchParams.get("account");
        if (account === null) fake.backend.accountRateLimits.clear();
        else
          fake.backend.accountRateLimits.set(account, {
            primaryUsedPercent: Number(url.searchParams.get("primary") ?? "12"),
          });
        return sendJson(res, 200, { ok: true });
      }
      if (url.pathname === "/requests") {
        // Which account each backend request went out with, and its installation id, since the last reset.
        const seen = fake.requests.map((r) => ({
          account: r.headers["chatgpt-account-id"] ?? null,
          installationId: r.headers["x-codex-installation-id"] ?? null,
          status: r.status ?? null,
        }));
        if (url.searchParams.get("reset") === "1") fake.reset();
        return sendJson(res, 200, seen);
      }
      if (url.pathname === "/backend-requests") {
        // What the backend received for requests whose body mentions `marker`: how each went (HTTP or a frame).
        const marker = url.searchParams.get("marker") ?? "";
        return sendJson(
          res,
          200,
          fake.requests
            .filter((r) => JSON.stringify(r.resolvedInput ?? r.body).includes(marker))
            .map((r) => {
              const body = (r.body ?? {}) as { input?: { type?: string }[]; previous_response_id?: string };
              return {
                method: r.method,
                connection: r.connection ?? null,
                previousResponseId: body.previous_response_id ?? null,
                inputTypes: (body.input ?? []).map((i) => i.type ?? "message"),
              };
            }),
        );
      }
      if (url.pathname === "/backend-websockets") {
        return sendJson(res, 200, { open: fake.backend.socketServer.open });
      }
      if (req.method === "POST" && url.pathname === "/refuse-next-upgrade") {
        // The backend's next WebSocket handshake is answered with this status (426, 503…).
        const { status } = JSON.parse((await readBody(req)).toString("utf8")) as { status: number };
        fake.backend.onUpgrade = () => {
          fake.backend.onUpgrade = undefined;
          return { kind: "http", status, body: { detail: `refused with ${status} by the test` } };
        };
        return sendJson(res, 200, {});
      }
      if (url.pathname === "/refreshes") {
        const token = url.searchParams.get("token");
        return sendJson(res, 200, {
          presented: fake.issuer.refreshTokensSeen.filter((t) => t === token).length,
        });
      }
      sendJson(res, 404, { error: "unknown control route" });
    })().catch((err: unknown) => sendJson(res, 500, { error: String(err) }));
  });
  await new Promise<void>((resolve) => control.listen(0, "127.0.0.1", resolve));
  const { port } = control.address() as AddressInfo;

  project.provide("fakeUrl", fake.url);
  project.provide("controlUrl", `http://127.0.0.1:${port}`);
  project.provide("seedAuth", JSON.stringify(fake.issuer.login({ ttlSeconds: 3600 })));
  project.provide("seedAuthAlice", JSON.stringify(fake.issuer.login({ ttlSeconds: 3600, accountId: ALICE })));
  // bob's sign-in is due: his Durable Object refreshes it on the first request.
  project.provide("seedAuthBob", JSON.stringify(fake.issuer.login({ ttlSeconds: 60, accountId: BOB })));
  project.provide("encryptionKey", randomBytes(32).toString("base64"));
  project.provide("clientKey", `sk-relay-${randomBytes(12).toString("hex")}`);

  return async () => {
    await new Promise<void>((resolve) => control.close(() => resolve()));
    control.closeAllConnections();
    await fake.close();
  };
}
