// Child process for the two-process test: a file store + token manager on $CODEX_HOME/auth.json, hammering the
// shared file with forced and proactive refreshes. Prints one JSON line with what it saw (fingerprints only).

import { defaultAuthPath, createFileStore } from "../../../src/auth/file-store.ts";
import { createTokenManager } from "../../../src/auth/token-manager.ts";
import { fingerprint } from "../../../src/core/logger.ts";

const env = process.env;
const store = createFileStore(defaultAuthPath(env.CODEX_HOME), { lockPollMs: 10 });
const tm = createTokenManager({
  config: {
    chatgptAccessToken: null,
    chatgptAccountId: null,
    codexAuthJson: null,
    clientId: "app_test",
    oauthTokenUrl: env.TOKEN_URL ?? "",
  },
  store,
});

const rounds = Number(env.ROUNDS ?? 5);
const startAt = Number(env.START_AT ?? 0);
await new Promise((r) => setTimeout(r, Math.max(0, startAt - Date.now())));

const seen: string[] = [];
const errors: string[] = [];
for (let i = 0; i < rounds; i++) {
  const results = await Promise.allSettled([
    tm.forceRefresh().then((s) => s.accessTokenFingerprint ?? ""),
    ...Array.from({ length: 5 }, () => tm.getCredentials().then((c) => fingerprint(c.accessToken) ?? "")),
  ]);
  for (const r of results) {
    if (r.status === "fulfilled") seen.push(r.value);
    else errors.push(r.reason instanceof Error ? r.reason.message : String(r.reason));
  }
}
process.stdout.write(JSON.stringify({ seen, errors, status: tm.status() }) + "\n");
