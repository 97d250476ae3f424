// Issue 14.4: a broken log output must never keep the relay alive or stop it serving. The real entry runs as a
// child process with stdout/stderr on pipes; then the reader goes away (closed) or stops reading (a full pipe, a
// supervisor that no longer reads). The relay keeps answering, and SIGTERM ends it within the drain time.

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeAll, afterAll, describe, expect, it } from "vitest";
import { startFakeUpstream, type FakeUpstream } from "../fakes/server.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DRAIN_MS = 1000;

let fake: FakeUpstream;
let child: ChildProcess | undefined;
beforeAll(async () => {
  fake = await startFakeUpstream();
});
afterAll(() => fake.close());
afterEach(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  child = undefined;
});

async function startRelay(): Promise<{ url: string; child: ChildProcess }> {
  const codexHome = mkdtempSync(join(tmpdir(), "codex-relay-epipe-"));
  writeFileSync(join(codexHome, "auth.json"), JSON.stringify(fake.issuer.login()), { mode: 0o600 });
  const c = spawn(process.execPath, ["--import", "tsx", "src/node/main.ts"], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: codexHome,
      PORT: "0",
      CODEX_HOME: codexHome,
      CHATGPT_RESPONSES_URL: fake.responsesUrl,
      CHATGPT_OAUTH_TOKEN_URL: fake.tokenUrl,
      VERBOSE: "true",
      LOG_FORMAT: "json",
      SHUTDOWN_TIMEOUT_MS: String(DRAIN_MS),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child = c;
  let out = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`relay did not start:\n${out}`)), 20_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/[^\s"]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        c.stdout!.off("data", onData);
        resolve(m[1]!);
      }
    };
    c.stdout!.on("data", onData);
    c.once("exit", (code) => reject(new Error(`relay exited with ${code}:\n${out}`)));
  });
  return { url, child: c };
}

async function chatOk(url: string): Promise<boolean> {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "gpt-5.5", messages: [{ role: "user", content: "still there?" }] }),
  });
  return res.status === 200 && ((await res.json()) as { choices: unknown[] }).choices.length === 1;
}

/** Many requests with long paths: each one is a log line of about a kilobyte. */
async function logALot(url: string, n: number): Promise<void> {
  const long = "x".repeat(900);
  for (let i = 0; i < n; i += 20) {
    await Promise.all(Array.from({ length: 20 }, () => fetch(`${url}/${long}`).then((r) => r.arrayBuffer())));
  }
}

function exitWithin(
  c: ChildProcess,
  ms: number,
): Promise<{ code: number | null; signal: string | null; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the relay did not exit within ${ms} ms of SIGTERM`)),
      ms,
    );
    c.once("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, ms: Date.now() - started });
    });
    c.kill("SIGTERM");
  });
}

// Generous bound: the drain time plus start-up noise on a loaded machine; without the fix the process never exits.
const EXIT_BOUND_MS = DRAIN_MS + 9_000;

describe("a broken log output (issue 14.4)", () => {
  it("keeps serving and exits on SIGTERM when the reader of stdout and stderr has closed", async () => {
    const r = await startRelay();
    r.child.stdout!.destroy();
    r.child.stderr!.destroy();
    await logALot(r.url, 200);
    expect(await chatOk(r.url)).toBe(true);
    const exit = await exitWithin(r.child, EXIT_BOUND_MS);
    expect(exit.code).toBe(0);
  }, 60_000);

  it("keeps serving and exits on SIGTERM when the reader stopped reading and the pipe is full", async () => {
    const r = await startRelay();
    r.child.stdout!.pause();
    r.child.stderr!.pause();
    await logALot(r.url, 600); // far more than a pipe buffer (64 KiB) plus the reader's own buffer
    expect(await chatOk(r.url)).toBe(true);
    const exit = await exitWithin(r.child, EXIT_BOUND_MS);
    expect(exit.code).toBe(0);
  }, 60_000);
});
