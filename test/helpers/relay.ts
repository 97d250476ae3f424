// Starts a fake ChatGPT backend + OAuth issuer and a real relay (in-process, on a loopback port) pointed at it.
// Everything crosses real HTTP; nothing is mocked.

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeUpstream } from "../fakes/server.ts";
import { startServer, type RunningServer } from "../../src/node/server.ts";
import { silentLogger, type Logger } from "../../src/core/logger.ts";

export type FakeUpstream = Awaited<ReturnType<typeof startFakeUpstream>>;

export interface TestRelay {
  fake: FakeUpstream;
  relay: RunningServer;
  /** Base URL of the relay, e.g. http://127.0.0.1:PORT */
  url: string;
  codexHome: string;
  close(): Promise<void>;
}

export interface TestRelayOptions {
  env?: Record<string, string>;
  logger?: Logger;
  /** Access token lifetime of the signed-in account (seconds). */
  ttlSeconds?: number;
  /** Write no auth.json (no credentials). */
  signedOut?: boolean;
  fake?: FakeUpstream;
}

export async function startTestRelay(options: TestRelayOptions = {}): Promise<TestRelay> {
  const fake = options.fake ?? (await startFakeUpstream());
  const codexHome = mkdtempSync(join(tmpdir(), "codex-relay-test-"));
  if (!options.signedOut) {
    const doc = fake.issuer.login({ ttlSeconds: options.ttlSeconds });
    writeFileSync(join(codexHome, "auth.json"), JSON.stringify(doc, null, 2), { mode: 0o600 });
  }
  const relay = await startServer({
    env: {
      CODEX_HOME: codexHome,
      // An empty folder of its own: the relay's sign-ins (first in the discovery order) never come from $HOME.
      CODEX_RELAY_HOME: join(codexHome, "relay-home"),
      CHATGPT_RESPONSES_URL: fake.responsesUrl,
      CHATGPT_OAUTH_TOKEN_URL: fake.tokenUrl,
      ...options.env,
    },
    port: 0,
    logger: options.logger ?? silentLogger,
    retryBaseMs: 10,
  });
  return {
    fake,
    relay,
    url: relay.url,
    codexHome,
    async close() {
      await relay.close();
      if (!options.fake) await fake.close();
    },
  };
}
