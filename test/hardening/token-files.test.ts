// Token files are private whatever the umask: auth.json is written 0600 (atomically, the temp file too), the lock
// file beside it 0600, a directory the relay creates 0700, and no temp file is left behind.

import { mkdtempSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { createFileStore } from "../../src/auth/file-store.ts";
import { parseAuthJson } from "../../src/auth/document.ts";
import { FakeIssuer } from "../fakes/fake-oauth.ts";

let previousUmask: number | undefined;
afterEach(() => {
  if (previousUmask !== undefined) process.umask(previousUmask);
  previousUmask = undefined;
});

const mode = (p: string) => statSync(p).mode & 0o777;

it("writes auth.json 0600 and creates its directory 0700 even with umask 000", async () => {
  previousUmask = process.umask(0);
  const home = join(mkdtempSync(join(tmpdir(), "codex-relay-perm-")), "new-codex-home");
  const path = join(home, "auth.json");
  const store = createFileStore(path);
  const doc = parseAuthJson(JSON.stringify(new FakeIssuer().login()), "test")!;
  let lockMode = -1;
  await store.withRefreshLock(async () => {
    lockMode = mode(`${path}.lock`);
    expect(await store.save(doc, null)).toBe(true);
  });
  expect(mode(home)).toBe(0o700);
  expect(mode(path)).toBe(0o600);
  expect(lockMode).toBe(0o600);
  expect(readdirSync(home).sort()).toEqual(["auth.json"]); // no temp file, lock released
});

it("narrows a token file that was world-readable when it rewrites it", async () => {
  previousUmask = process.umask(0);
  const dir = mkdtempSync(join(tmpdir(), "codex-relay-perm-"));
  const path = join(dir, "auth.json");
  const issuer = new FakeIssuer();
  const first = issuer.login();
  writeFileSync(path, JSON.stringify(first), { mode: 0o644 });
  const store = createFileStore(path);
  const next = parseAuthJson(JSON.stringify(issuer.login()), "test")!;
  await store.withRefreshLock(async () => {
    expect(await store.save(next, first.tokens.refresh_token)).toBe(true);
  });
  expect(mode(path)).toBe(0o600);
});
