// Two Node processes share one auth.json and one issuer: the file lock must keep every refresh token single-use.

import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, expect, it } from "vitest";
import { startFakeIssuer } from "./helpers/fake-issuer.ts";
import type { FakeIssuer } from "./helpers/fake-issuer.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const worker = fileURLToPath(new URL("./helpers/refresh-worker.ts", import.meta.url));

let issuer: FakeIssuer;
let home: string;

beforeEach(async () => {
  issuer = await startFakeIssuer();
  home = await mkdtemp(join(tmpdir(), "codex-relay-2p-"));
});
afterEach(async () => {
  await issuer.close();
  await rm(home, { recursive: true, force: true });
});

interface WorkerResult {
  seen: string[];
  errors: string[];
  status: { refreshCount: number; lastError: unknown };
}

function runWorker(startAt: number): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", worker], {
      cwd: root,
      env: {
        ...process.env,
        CODEX_HOME: home,
        TOKEN_URL: issuer.tokenUrl,
        ROUNDS: "6",
        START_AT: String(startAt),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`worker exited with ${code}: ${err}`));
      try {
        resolve(JSON.parse(out.trim().split("\n").at(-1) ?? "") as WorkerResult);
      } catch {
        reject(new Error(`worker printed no result: ${out} ${err}`));
      }
    });
  });
}

it("two processes sharing auth.json never send the same refresh token twice", async () => {
  // Every token the issuer mints expires within the refresh window, so every request wants a refresh.
  issuer.accessTtlSec = 60;
  issuer.refreshDelayMs = 25;
  const path = join(home, "auth.json");
  await writeFile(
    path,
    JSON.stringify({ ...issuer.login({ expiresInSec: 60 }), agent_identity: "kept" }, null, 2),
  );

  const startAt = Date.now() + 1500; // both children start their work at the same moment
  const [a, b] = await Promise.all([runWorker(startAt), runWorker(startAt)]);

  expect(a.errors).toEqual([]);
  expect(b.errors).toEqual([]);
  expect(issuer.reuseCount).toBe(0);
  expect(issuer.refreshCalls).toBeGreaterThanOrEqual(12); // each forced refresh and expiring token needs one
  expect(new Set(issuer.refreshTokensSeen).size).toBe(issuer.refreshTokensSeen.length);
  expect(a.status.refreshCount).toBeGreaterThan(0);
  expect(b.status.refreshCount).toBeGreaterThan(0);
  expect(a.status.refreshCount + b.status.refreshCount).toBe(issuer.refreshCalls);

  const onDisk = JSON.parse(await readFile(path, "utf8"));
  expect(onDisk.tokens.refresh_token).toBe(issuer.issued.at(-1));
  expect(onDisk.tokens.access_token).toBe(issuer.accessIssued.at(-1));
  expect(onDisk.agent_identity).toBe("kept");
  expect((await stat(path)).mode & 0o777).toBe(0o600);
  expect(await readdir(home)).toEqual(["auth.json"]);
}, 60_000);
