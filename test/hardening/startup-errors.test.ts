// Start-up failures of the real entry (`node --import tsx src/node/main.ts`, as `npm start` runs it): a PORT in use,
// a HOST that does not resolve or is not on this machine. Each must print one line naming the variable, its value
// and what to do, and exit non-zero — no stack trace, no `Unhandled 'error' event`.

import { mkdtempSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runRelayProcessToExit } from "../helpers/relay-process.ts";

let taken: Server;
let takenPort: number;
const codexHome = mkdtempSync(join(tmpdir(), "codex-relay-startup-"));

beforeAll(async () => {
  taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
  takenPort = (taken.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((resolve) => taken.close(() => resolve())));

function expectOneCleanLine(run: { code: number | null; stdout: string; stderr: string }): string {
  expect(run.code).not.toBe(0);
  expect(run.code).not.toBeNull();
  const all = run.stdout + run.stderr;
  expect(all).not.toContain("Unhandled 'error' event");
  expect(all).not.toMatch(/^\s+at /m);
  const lines = run.stderr.trim().split("\n");
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

describe("start-up errors", () => {
  it("PORT already in use: names PORT, the port and the way out", async () => {
    const run = await runRelayProcessToExit({ CODEX_HOME: codexHome, PORT: String(takenPort) });
    const line = expectOneCleanLine(run);
    expect(line).toContain("PORT");
    expect(line).toContain(String(takenPort));
    expect(line).toMatch(/already in use/);
    expect(line).toMatch(/set PORT to a free port/);
  });

  it("HOST that does not resolve: names HOST, the value and the way out", async () => {
    const run = await runRelayProcessToExit({ CODEX_HOME: codexHome, HOST: "no-such-host.invalid" });
    const line = expectOneCleanLine(run);
    expect(line).toContain("HOST");
    expect(line).toContain("no-such-host.invalid");
    expect(line).toMatch(/does not resolve/);
    expect(line).toMatch(/127\.0\.0\.1/);
  });

  it("HOST that is not an address of this machine", async () => {
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): never assigned to a real interface.
    const run = await runRelayProcessToExit({ CODEX_HOME: codexHome, HOST: "192.0.2.1" });
    const line = expectOneCleanLine(run);
    expect(line).toContain("HOST");
    expect(line).toContain("192.0.2.1");
    expect(line).toMatch(/not an address of this machine/);
  });
});
