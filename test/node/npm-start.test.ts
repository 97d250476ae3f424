// `npm start` must never leave the server running once the process the user started is gone: npm runs the script
// under `sh -c`, and a signal to npm alone does not reach the server through that shell (scripts/start.mjs).

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeUpstream, type FakeUpstream } from "../fakes/server.ts";
import { childProcessEnv } from "../helpers/child-env.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const HAVE_PROC = (() => {
  try {
    readdirSync("/proc/self");
    return true;
  } catch {
    return false;
  }
})();

/** Every descendant of `pid` (Linux /proc). */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie is dead for our purpose.
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

function refused(url: string): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const s = connect(Number(u.port), u.hostname);
    s.once("connect", () => {
      s.destroy();
      resolve(false);
    });
    s.once("error", () => resolve(true));
  });
}

describe.skipIf(!HAVE_PROC)("npm start", () => {
  let fake: FakeUpstream;
  let home: string;
  const started: number[] = [];

  beforeAll(async () => {
    fake = await startFakeUpstream();
    home = mkdtempSync(join(tmpdir(), "codex-relay-npm-start-"));
    writeFileSync(join(home, "auth.json"), JSON.stringify(fake.issuer.login()), { mode: 0o600 });
  });
  afterAll(async () => {
    for (const pid of started) if (isAlive(pid)) process.kill(pid, "SIGKILL");
    await fake?.close();
    rmSync(home, { recursive: true, force: true });
  });

  async function npmStart(): Promise<{ npm: ChildProcess; url: string; server: number }> {
    const npm = spawn("npm", ["start"], {
      cwd: ROOT,
      env: { ...childProcessEnv(), PORT: "0", CODEX_HOME: home, ...fake.env() },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true, // its own process group, like a command started in a terminal
    });
    let out = "";
    npm.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    npm.stderr!.on("data", (d: Buffer) => (out += d.toString()));
    await expect
      .poll(() => /listening on (http:\/\/\S+?)["\s]/.exec(out)?.[1], { timeout: 30_000 })
      .toBeTruthy();
    const url = /listening on (http:\/\/\S+?)["\s]/.exec(out)![1]!;
    // The server is the node process at the bottom of npm → sh → node.
    const nodes = descendants(npm.pid!).filter((p) => {
      try {
        const argv = readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0");
        return /(^|\/)node$/.test(argv[0] ?? "") && argv.some((a) => a.endsWith("scripts/start.mjs"));
      } catch {
        return false;
      }
    });
    expect(nodes.length).toBe(1);
    started.push(nodes[0]!);
    expect((await fetch(`${url}/health`)).status).toBe(200);
    return { npm, url, server: nodes[0]! };
  }

  it.each(["SIGTERM", "SIGKILL"] as const)(
    "%s to the npm process alone stops the server",
    async (signal) => {
      const { npm, url, server } = await npmStart();
      npm.kill(signal);
      await expect.poll(() => isAlive(server), { timeout: 15_000, interval: 100 }).toBe(false);
      expect(await refused(url)).toBe(true);
    },
    60_000,
  );

  it("Ctrl-C (SIGINT to the process group) stops the server and npm", async () => {
    const { npm, url, server } = await npmStart();
    process.kill(-npm.pid!, "SIGINT");
    await expect.poll(() => isAlive(server), { timeout: 15_000, interval: 100 }).toBe(false);
    await expect.poll(() => npm.exitCode !== null || npm.signalCode !== null, { timeout: 15_000 }).toBe(true);
    expect(await refused(url)).toBe(true);
  }, 60_000);
});
