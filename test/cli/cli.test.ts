// The `codex-relay` command as a user runs it (a real child process): login → status → serve → logout against the
// fake issuer and backend, and the command-line conventions (help with the environment, unknown names, no
// colours when not on a terminal).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startFakeUpstream, type FakeUpstream } from "../fakes/server.ts";
import { startServer } from "../../src/node/server.ts";
import { silentLogger } from "../../src/core/logger.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

let fake: FakeUpstream;
let dir: string;
let env: Record<string, string>;

beforeAll(async () => {
  fake = await startFakeUpstream();
  dir = mkdtempSync(join(tmpdir(), "codex-relay-cli-"));
  env = {
    ...fake.env(),
    CODEX_RELAY_HOME: join(dir, "relay"),
    CODEX_HOME: join(dir, "codex"),
    TZ: "Asia/Tokyo", // UTC+9 all year: the reset times must be shown in it
  };
});
afterAll(async () => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI; `onStdout` sees the output as it comes (to play the browser). */
function cli(args: string[], onStdout?: (text: string) => void): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: dir, ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      onStdout?.(stdout);
    });
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("login → status → serve → logout", () => {
  it("signs in through the browser, reports ready with usage, serves with it, signs out", async () => {
    // The Codex CLI's own file belongs to another account: the relay's own sign-in must win.
    const other = fake.issuer.login({ accountId: "acct-codex-cli-0000", email: "cli@example.com" });
    const codexHome = join(dir, "codex");
    mkdirSync(codexHome, { recursive: true });
    writeFileSync(join(codexHome, "auth.json"), JSON.stringify(other), { mode: 0o600 });

    fake.issuer.signInAs({ email: "ada@example.com", planType: "pro" });
    let followed = false;
    const login = await cli(["login", "--no-browser", "--callback-port", "0"], (out) => {
      const m = /(http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?\S+)/.exec(out);
      if (!m || followed) return;
      followed = true;
      void (async () => {
        const res = await fetch(m[1]!, { redirect: "manual" });
        await fetch(res.headers.get("location")!);
      })();
    });
    expect(login.stderr).toBe("");
    expect(login.code).toBe(0);
    expect(login.stdout).toContain("Signed in as ada@example.com (plan pro)");
    expect(login.stdout).not.toContain("\x1b["); // no colours: stdout is not a terminal
    expect(readdirSync(join(dir, "relay", "accounts"))).toEqual(["ada@example.com-4f8b2c1e.json"]);

    fake.backend.rateLimits = { primaryUsedPercent: 42, secondaryUsedPercent: 7 };
    const status = await cli(["status"]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain("ada@example.com  plan pro  [ready]");
    expect(status.stdout).toContain("(the relay's own sign-in)");
    // The fake's 5-hour window resets 9000 s from now: shown in Tokyo time.
    const m = /5-hour {4}42% used, resets (\w{3}) (\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d) \(in [23] h\)/.exec(
      status.stdout,
    );
    expect(m, status.stdout).not.toBeNull();
    const shown = Date.UTC(+m![2]!, +m![3]! - 1, +m![4]!, +m![5]!, +m![6]!) - 9 * 3600_000;
    expect(Math.abs(shown - (Date.now() + 9000_000))).toBeLessThan(120_000);
    expect(status.stdout).toMatch(/weekly {4}7% used, resets/);
    expect(status.stdout).toContain("Ready.");

    const json = await cli(["status", "--json"]);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report).toMatchObject({ ready: true, next: null });
    expect(report.accounts).toHaveLength(1);
    expect(report.accounts[0]).toMatchObject({
      origin: "relay",
      ready: true,
      tokens: { email: "ada@example.com", planType: "pro", source: "store" },
      usage: { planType: "pro", primary: { usedPercent: 42, windowMinutes: 300 } },
    });
    expect(json.stdout).not.toContain("rt_"); // no refresh token
    expect(fake.backend.usageRequests).toBeGreaterThanOrEqual(2);

    // The relay serves with the relay's own sign-in (not the Codex CLI's file).
    const relay = await startServer({ env, port: 0, logger: silentLogger });
    try {
      const res = await fetch(`${relay.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "gpt-5.5", messages: [{ role: "user", content: "hi" }] }),
      });
      expect(res.status).toBe(200);
      expect(fake.requests.at(-1)!.headers["chatgpt-account-id"]).toBe(
        "4f8b2c1e-7a3d-4e9f-b6c5-2d1a0e9f8c7b",
      );
    } finally {
      await relay.close();
    }

    const logout = await cli(["logout"]);
    expect(logout.code).toBe(0);
    expect(logout.stdout).toContain("Signed out.");
    expect(readdirSync(join(dir, "relay", "accounts"))).toEqual([]);
    expect(fake.issuer.revocations.at(-1)).toMatchObject({ token_type_hint: "refresh_token" });
    // The Codex CLI's file is left alone.
    expect(readdirSync(codexHome)).toContain("auth.json");

    rmSync(join(codexHome, "auth.json"));
    const after = await cli(["status"]);
    expect(after.code).toBe(1);
    expect(after.stdout).toContain("Not ready. Next: codex-relay login");
  }, 60_000);
});

describe("conventions", () => {
  it("--help on every command lists the environment variables", async () => {
    for (const [cmd, vars] of [
      ["login", ["CHATGPT_OAUTH_ISSUER", "CODEX_RELAY_HOME", "CHATGPT_OAUTH_TOKEN_URL"]],
      ["status", ["CHATGPT_USAGE_URL", "CODEX_RELAY_HOME"]],
      ["logout", ["CODEX_RELAY_HOME", "CODEX_HOME"]],
      ["serve", ["HOST, PORT", "OPENAI_API_KEY", "CODEX_RELAY_HOME"]],
    ] as const) {
      const r = await cli([cmd, "--help"]);
      expect(r.code).toBe(0);
      for (const v of vars) expect(r.stdout, `${cmd} --help`).toContain(v);
    }
    const serve = await cli(["serve", "--help"]);
    expect(serve.stdout).toContain("--port <port>");
    expect(serve.stdout).toContain("--host <host>");
  }, 60_000);

  it("an unknown command or option is named", async () => {
    const cmd = await cli(["sttaus"]);
    expect(cmd.code).toBe(1);
    expect(cmd.stderr).toContain("unknown command 'sttaus'");
    const opt = await cli(["status", "--jsn"]);
    expect(opt.code).toBe(1);
    expect(opt.stderr).toContain("unknown option '--jsn'");
    expect(opt.stderr).not.toContain("\x1b[");
  }, 30_000);
});
