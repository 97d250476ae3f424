// The benchmark's fake backend, in its own process: starts the fake ChatGPT backend + OAuth issuer on a loopback
// port, signs in once, writes the auth.json into a fresh CODEX_HOME and reports both to the parent over IPC.
// The parent ends it with SIGTERM. For the agent-conversation cell (BENCH_AGENT=1) it sits behind the simulated
// link (BENCH_LINK_RTT_MS, BENCH_LINK_UPLINK_BPS), answers every turn with a tool call, and tells the parent, when
// asked over IPC, the size of the last request it read.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeUpstream } from "../test/fakes/server.ts";

export interface FakeReady {
  type: "ready";
  url: string;
  responsesUrl: string;
  responsesWebSocketUrl: string;
  codexHome: string;
  accessToken: string;
  accountId: string;
  /** The variables that point a relay at this fake. */
  env: Record<string, string>;
}

export interface LastRequest {
  type: "last-request";
  /** The request's JSON size before any compression. */
  bytes: number;
  /** What crossed the simulated uplink for it (the compressed body, the frame with its framing). */
  wireBytes: number;
}

const agent = process.env.BENCH_AGENT === "1";
// The bench keeps only a few recorded requests: the fake would otherwise hold 1,000 bodies.
const fake = await startFakeUpstream({
  port: 0,
  accessTokenTtlSeconds: 24 * 3600,
  maxRecordedRequests: agent ? 4 : 16,
  link: agent
    ? {
        rttMs: Number(process.env.BENCH_LINK_RTT_MS),
        uplinkBitsPerSecond: Number(process.env.BENCH_LINK_UPLINK_BPS),
      }
    : undefined,
});
if (agent) {
  fake.setDefaultScenario(() => ({
    kind: "tool_calls",
    text: "Reading the next file.",
    calls: [{ name: "read_file", arguments: { path: "src/next-file.ts" } }],
  }));
  process.on("message", (m: { type?: string }) => {
    if (m?.type !== "last-request") return;
    const r = fake.requests.at(-1);
    const reply: LastRequest = {
      type: "last-request",
      bytes: r?.bytes ?? 0,
      wireBytes: r?.wireBytes ?? r?.bytes ?? 0,
    };
    process.send?.(reply);
  });
}
const codexHome = mkdtempSync(join(tmpdir(), "codex-relay-bench-"));
const auth = fake.issuer.login({ planType: "plus", ttlSeconds: 24 * 3600 });
writeFileSync(join(codexHome, "auth.json"), JSON.stringify(auth, null, 2), { mode: 0o600 });

const ready: FakeReady = {
  type: "ready",
  url: fake.url,
  responsesUrl: fake.responsesUrl,
  responsesWebSocketUrl: fake.responsesWebSocketUrl,
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
