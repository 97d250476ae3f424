// Graceful shutdown of the real process (`npm start`'s code) on SIGTERM/SIGINT: it stops accepting connections at
// once, lets open streams finish (up to SHUTDOWN_TIMEOUT_MS, then cuts them), waits for a token refresh in flight so
// the rotated tokens are saved, and exits 0.

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { startFakeUpstream, type FakeUpstream } from "../fakes/server.ts";
import { startRelayProcess, type RelayProcess } from "../helpers/relay-process.ts";
import { CHAT, MODEL, sleep } from "./helpers/http.ts";

let fake: FakeUpstream | undefined;
let relay: RelayProcess | undefined;
afterEach(async () => {
  if (relay && relay.child.exitCode === null && relay.child.signalCode === null) relay.child.kill("SIGKILL");
  relay = undefined;
  await fake?.close();
  fake = undefined;
});

async function start(env: Record<string, string> = {}, ttlSeconds = 3600) {
  fake = await startFakeUpstream();
  const codexHome = mkdtempSync(join(tmpdir(), "codex-relay-shutdown-"));
  writeFileSync(join(codexHome, "auth.json"), JSON.stringify(fake.issuer.login({ ttlSeconds })), {
    mode: 0o600,
  });
  relay = await startRelayProcess({ CODEX_HOME: codexHome, ...fake.env(), ...env });
  const child = relay.child;
  const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
    child.once("exit", (code) => resolve({ code, at: Date.now() })),
  );
  return { fake, relay, codexHome, exited };
}

/** Whether a new TCP connection to the relay is refused. */
function refused(url: string): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const s = connect(Number(u.port), u.hostname);
    s.once("connect", () => {
      s.destroy();
      resolve(false);
    });
    s.once("error", (err: NodeJS.ErrnoException) => resolve(err.code === "ECONNREFUSED"));
  });
}

async function openStream(url: string, body: unknown) {
  const res = await fetch(`${url}${CHAT.path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = decoder.decode((await reader.read()).value, { stream: true });
  const rest = (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return text;
      text += decoder.decode(value, { stream: true });
    }
  })();
  return { res, rest };
}

it.each(["SIGTERM"] as const)(
  "on %s: refuses new connections, lets the open stream finish, exits 0",
  async (signal) => {
    const { fake: f, relay: r, exited } = await start();
    f.enqueue({ kind: "text", text: Array.from({ length: 30 }, (_, i) => `w${i}`).join(" "), delayMs: 40 });
    const { res, rest } = await openStream(r.url, { ...CHAT.body("long", true), model: MODEL });
    expect(res.status).toBe(200);
    const signalled = Date.now();
    r.child.kill(signal);

    // New connections are refused within moments, while the stream is still running.
    let isRefused = false;
    for (let i = 0; i < 40 && !isRefused; i++) {
      isRefused = await refused(r.url);
      if (!isRefused) await sleep(25);
    }
    expect(isRefused).toBe(true);
    expect(r.child.exitCode).toBeNull();

    // The open stream completes normally.
    const text = await rest;
    expect(CHAT.streamText(text)).toBe(Array.from({ length: 30 }, (_, i) => `w${i}`).join(" "));
    const { code, at } = await exited;
    expect(code).toBe(0);
    expect(at - signalled).toBeLessThan(8000);
    expect(r.output()).toMatch(
      /shutting down: no new connections; waiting up to 10000 ms for 1 open request/,
    );
  },
  20_000,
);

it("cuts the streams still open at SHUTDOWN_TIMEOUT_MS and still exits 0", async () => {
  const { fake: f, relay: r, exited } = await start({ SHUTDOWN_TIMEOUT_MS: "500" });
  f.enqueue({ kind: "stall", afterEvents: 6, text: "an answer that stalls after its first words" });
  const { res, rest } = await openStream(r.url, CHAT.body("stall", true));
  const cut = rest.then(
    () => "ended",
    () => "cut", // the client sees its connection closed
  );
  expect(res.status).toBe(200);
  const signalled = Date.now();
  r.child.kill("SIGTERM");
  const { code, at } = await exited;
  expect(code).toBe(0);
  expect(at - signalled).toBeGreaterThanOrEqual(450);
  expect(at - signalled).toBeLessThan(3000);
  expect(await cut).toBe("cut");
  await f.waitForClosedEarly(1, 2000); // and the backend request was not left open either
  expect(r.output()).toMatch(/shutdown deadline reached \(SHUTDOWN_TIMEOUT_MS\)/);
}, 20_000);

it("on SIGINT with nothing open (an idle keep-alive connection only): exits 0 at once", async () => {
  const { relay: r, exited } = await start();
  expect((await fetch(`${r.url}/health`)).status).toBe(200); // leaves an idle keep-alive connection
  const signalled = Date.now();
  r.child.kill("SIGINT");
  const { code, at } = await exited;
  expect(code).toBe(0);
  expect(at - signalled).toBeLessThan(1500);
}, 20_000);

it("waits for a token refresh in flight so the rotated tokens are saved before it exits", async () => {
  // The token is inside the refresh window: the first request refreshes, and the issuer takes 0.6 s to answer.
  const { fake: f, relay: r, codexHome, exited } = await start({}, 60);
  f.issuer.refreshDelayMs = 600;
  const before = JSON.parse(readFileSync(join(codexHome, "auth.json"), "utf8")) as {
    tokens: { refresh_token: string };
  };
  const controller = new AbortController();
  const pending = fetch(`${r.url}${CHAT.path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(CHAT.body("refresh me", false)),
    signal: controller.signal,
  }).catch(() => null);
  const deadline = Date.now() + 5000;
  while (f.issuer.refreshCalls === 0 && Date.now() < deadline) await sleep(10);
  expect(f.issuer.refreshCalls).toBe(1);
  // The client gives up and the relay is told to stop while the refresh is still running.
  controller.abort();
  await pending;
  r.child.kill("SIGTERM");
  const { code } = await exited;
  expect(code).toBe(0);
  expect(f.issuer.successfulRefreshes).toBe(1);
  const after = JSON.parse(readFileSync(join(codexHome, "auth.json"), "utf8")) as {
    tokens: { refresh_token: string };
  };
  // The old refresh token was spent at the issuer; the new one must be on disk, or the next start cannot refresh.
  expect(after.tokens.refresh_token).not.toBe(before.tokens.refresh_token);
  expect(f.issuer.refreshTokensSeen).toEqual([before.tokens.refresh_token]);
}, 20_000);
