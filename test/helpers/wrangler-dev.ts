// Runs the Worker under `wrangler dev --local` (miniflare + workerd, the set-up of `npm run dev:worker`) as a real
// child process on a free port, with its state in a temporary directory, and stops the whole process group.

import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { closedPort, sleep } from "../hardening/helpers/http.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const WRANGLER = join(ROOT, "node_modules", ".bin", "wrangler");

export interface WranglerDev {
  url: string;
  output(): string;
  stop(): Promise<void>;
}

/** Whether wrangler (and with it workerd) is installed; under CI=true a missing one is an error. */
export function wranglerAvailable(): boolean {
  if (existsSync(WRANGLER)) return true;
  if (process.env.CI === "true") throw new Error(`wrangler is missing (${WRANGLER}): run npm ci`);
  console.warn(`SKIPPED: the wrangler dev suite needs ${WRANGLER} (npm install)`);
  return false;
}

export async function startWranglerDev(vars: Record<string, string>): Promise<WranglerDev> {
  const port = await closedPort();
  const state = mkdtempSync(join(tmpdir(), "codex-relay-wrangler-"));
  const args = ["dev", "--local", "--port", String(port), "--ip", "127.0.0.1", "--inspector-port", "0"];
  args.push("--persist-to", state, "--show-interactive-dev-session=false", "--log-level", "warn");
  // The format of the .dev.vars file the README describes (NAME=value lines, JSON unquoted).
  const envFile = join(state, ".dev.vars");
  writeFileSync(
    envFile,
    Object.entries(vars)
      .map(([name, value]) => `${name}=${value}\n`)
      .join(""),
    { mode: 0o600 },
  );
  args.push("--env-file", envFile);
  const child: ChildProcess = spawn(WRANGLER, args, {
    cwd: ROOT,
    detached: true, // its own process group: wrangler, esbuild and workerd go together
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true", NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  let exited = false;
  child.once("exit", () => (exited = true));
  const stop = async () => {
    if (!exited) {
      try {
        process.kill(-child.pid!, "SIGTERM");
      } catch {
        // already gone
      }
      const end = Date.now() + 5000;
      while (!exited && Date.now() < end) await sleep(50);
      if (!exited) {
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch {
          // already gone
        }
      }
    }
    rmSync(state, { recursive: true, force: true });
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(`wrangler dev exited:\n${out}`);
    }
    try {
      const res = await fetch(`${url}/`);
      await res.arrayBuffer();
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`wrangler dev did not answer within 60 s:\n${out}`);
    }
    await sleep(200);
  }
  return { url, output: () => out, stop };
}
