// The benchmark's fake backend, in its own process: starts the fake ChatGPT backend + OAuth issuer on a loopback
// port, signs in once, writes the auth.json into a fresh CODEX_HOME and reports both to the parent over IPC.
// The parent ends it with SIGTERM.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeUpstream } from "../test/fakes/server.ts";

export interface FakeReady {
  type: "ready";
  url: string;
  responsesUrl: string;
  codexHome: string;
  accessToken: string;
  accountId: string;
  /** The variables that point a relay at this fake. */
  env: Record<string, string>;
}

// The bench keeps only a few recorded requests: the fake would otherwise hold 1,000 bodies.
const fake = await startFakeUpstream({ port: 0, accessTokenTtlSeconds: 24 * 3600, maxRecordedRequests: 16 });
const codexHome = mkdtempSync(join(tmpdir(), "codex-relay-bench-"));
const auth = fake.issuer.login({ planType: "plus", ttlSeconds: 24 * 3600 });
writeFileSync(join(codexHome, "auth.json"), JSON.stringify(auth, null, 2), { mode: 0o600 });

const ready: FakeReady = {
  type: "ready",
  url: fake.url,
  responsesUrl: fake.responsesUrl,
  codexHome,
  accessToken: auth.tokens.access_token,
  accountId: auth.tokens.account_id,
  env: { CODEX_HOME: codexHome, ...fake.env() },
};
process.send?.(ready);

let stopping = false;
function stop(): void {
  if (stopping) return;
  stopping = true;
  rmSync(codexHome, { recursive: true, force: true });
  void fake.close().finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
process.on("disconnect", stop);
