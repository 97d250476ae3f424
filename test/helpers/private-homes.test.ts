// The suite's setup (test/helpers/private-homes.ts) keeps the developer's own folders out of every test: a relay
// started the way the tests start one, with no CODEX_RELAY_HOME / CODEX_HOME of its own, reads and writes only
// the test file's private, empty folders.

import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { startFakeUpstream } from "../fakes/server.ts";
import { startRelayProcess } from "./relay-process.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

it("every test file has an empty CODEX_RELAY_HOME and CODEX_HOME of its own, outside HOME", () => {
  const config = loadConfig(process.env);
  for (const dir of [config.relayHome, config.codexHome]) {
    expect(dir).toBeTruthy();
    expect(dir!.startsWith(tmpdir())).toBe(true);
    expect(dir!.startsWith(homedir())).toBe(false);
  }
  expect(readdirSync(config.codexHome!)).not.toContain("auth.json");
});

it("a relay child process started without CODEX_RELAY_HOME keeps its files in the private folder, not ~/.codex-relay", async () => {
  const fake = await startFakeUpstream();
  // HOME is a folder of this test: anything the relay would write under ~/.codex-relay shows up there.
  const home = mkdtempSync(join(tmpdir(), "codex-relay-home-"));
  const codexHome = mkdtempSync(join(tmpdir(), "codex-relay-codex-home-"));
  dirs.push(home, codexHome);
  writeFileSync(join(codexHome, "auth.json"), JSON.stringify(fake.issuer.login()), { mode: 0o600 });
  const relay = await startRelayProcess({ HOME: home, CODEX_HOME: codexHome, ...fake.env() });
  try {
    const res = await fetch(`${relay.url}/v1/models`);
    expect(res.status).toBe(200);
    expect(existsSync(join(process.env.CODEX_RELAY_HOME!, "installation-ids", "default"))).toBe(true);
    expect(existsSync(join(home, ".codex-relay"))).toBe(false);
  } finally {
    await relay.stop();
    await fake.close();
  }
});
