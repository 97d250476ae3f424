// `codex-relay status` over several sign-ins (in-process, against the fake backend's usage endpoint).

import { afterAll, beforeAll, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeUpstream, type FakeUpstream } from "../fakes/server.ts";
import { collectStatus, printStatus } from "../../src/cli/status.ts";
import { loadConfig } from "../../src/config.ts";

let fake: FakeUpstream;
let dir: string;
beforeAll(async () => {
  fake = await startFakeUpstream();
  dir = mkdtempSync(join(tmpdir(), "codex-relay-status-"));
});
afterAll(async () => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

it("lists every account with plan, usage and state; ready while one can serve; all limited → the next step", async () => {
  const accounts = join(dir, "relay", "accounts");
  mkdirSync(accounts, { recursive: true });
  const A = "aaaaaaaa-0000-4000-8000-00000000000a";
  const B = "bbbbbbbb-0000-4000-8000-00000000000b";
  for (const [name, id, plan] of [
    ["alice", A, "plus"],
    ["bob", B, "pro"],
  ] as const) {
    const doc = fake.issuer.login({ accountId: id, email: `${name}@example.com`, planType: plan });
    writeFileSync(join(accounts, `${name}.json`), JSON.stringify(doc), { mode: 0o600 });
  }
  fake.backend.accountRateLimits.set(A, { primaryUsedPercent: 25 });
  fake.backend.accountRateLimits.set(B, { primaryUsedPercent: 100, primaryResetAfterSeconds: 1800 });
  const config = loadConfig({
    ...fake.env(),
    CODEX_RELAY_HOME: join(dir, "relay"),
    CODEX_HOME: join(dir, "codex"),
  });

  const report = await collectStatus(config);
  expect(report.ready).toBe(true);
  expect(report.accounts.map((a) => [a.key, a.tokens.email, a.tokens.planType, a.ready])).toEqual([
    ["alice", "alice@example.com", "plus", true],
    ["bob", "bob@example.com", "pro", false],
  ]);
  expect(report.accounts[0]!.usage!.primary.usedPercent).toBe(25);
  expect(report.accounts[1]!.problem).toMatch(
    /^At its usage limit until \w{3} \d{4}-\d\d-\d\d \d\d:\d\d \(in 30 min\)\.$/,
  );
  let text = "";
  printStatus(report, { write: (s: string) => (text += s) });
  expect(text).toContain("alice@example.com  plan plus  [ready]");
  expect(text).toContain("bob@example.com  plan pro  [usage limit]");
  expect(text).toContain("Ready.");

  fake.backend.accountRateLimits.set(A, { primaryUsedPercent: 100 });
  const limited = await collectStatus(config);
  expect(limited.ready).toBe(false);
  expect(limited.next).toBe("wait for the reset shown above, or add an account: codex-relay login");
});
