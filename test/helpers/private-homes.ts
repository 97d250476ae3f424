// A vitest setup file: every test file runs with an empty CODEX_RELAY_HOME and CODEX_HOME of its own (unless the
// run sets them), so no relay started by a test (in-process from process.env, or a child process given
// childProcessEnv()) reads a developer's ~/.codex-relay/accounts or ~/.codex/auth.json, or writes
// ~/.codex-relay/installation-ids. A test about the default location sets HOME or these variables itself.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";

const made: { name: string; dir: string }[] = [];
for (const name of ["CODEX_RELAY_HOME", "CODEX_HOME"] as const) {
  if (process.env[name]) continue;
  const dir = mkdtempSync(join(tmpdir(), `codex-relay-test-${name.toLowerCase()}-`));
  process.env[name] = dir;
  made.push({ name, dir });
}

afterAll(() => {
  for (const { name, dir } of made) {
    if (process.env[name] === dir) delete process.env[name];
    rmSync(dir, { recursive: true, force: true });
  }
});
