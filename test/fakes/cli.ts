// `npm run fake-upstream [-- --port 8788 --host 127.0.0.1 --plan plus --ttl 3600]`: runs the fake backend and
// issuer on a fixed port, signs in once, writes the auth.json to a temp CODEX_HOME and prints how to point the
// relay at it. Replies are scripted in-band with `[[fake <scenario json>]]` in the last user message.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startFakeUpstream } from "./server.ts";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "8788" },
    host: { type: "string", default: "127.0.0.1" },
    plan: { type: "string", default: "plus" },
    account: { type: "string" },
    ttl: { type: "string", default: "3600" },
    help: { type: "boolean", short: "h", default: false },
  },
});

if (values.help) {
  console.log(
    "usage: npm run fake-upstream -- [--port 8788] [--host 127.0.0.1] [--plan plus] [--account ID] [--ttl 3600]",
  );
  process.exit(0);
}

const port = Number(values.port);
const ttl = Number(values.ttl);
if (!Number.isInteger(port) || port < 0 || port > 65535)
  throw new Error(`--port: not a port: ${values.port}`);
if (!Number.isFinite(ttl)) throw new Error(`--ttl: not a number: ${values.ttl}`);

const fake = await startFakeUpstream({ port, host: values.host, accessTokenTtlSeconds: ttl });
const codexHome = mkdtempSync(join(tmpdir(), "codex-relay-fake-"));
const auth = fake.issuer.login({ planType: values.plan, accountId: values.account, ttlSeconds: ttl });
writeFileSync(join(codexHome, "auth.json"), JSON.stringify(auth, null, 2), { mode: 0o600 });

const env = { CODEX_HOME: codexHome, ...fake.env() };
const envLine = Object.entries(env)
  .map(([k, v]) => `${k}=${v}`)
  .join(" ");

console.log(`fake ChatGPT backend + OAuth issuer on ${fake.url}
  responses: ${fake.responsesUrl}
  models:    ${fake.modelsUrl}
  token:     ${fake.tokenUrl}
  auth.json: ${join(codexHome, "auth.json")} (account ${auth.tokens.account_id})

Environment for the relay:
${Object.entries(env)
  .map(([k, v]) => `  ${k}=${v}`)
  .join("\n")}

Start the relay against it:
  ${envLine} npm start

Script a reply in-band: end the last user message with e.g.
  [[fake {"kind":"text","deltas":500}]]
  [[fake {"kind":"tool_calls","calls":[{"name":"get_weather","arguments":{"city":"Paris"}}]}]]
  [[fake {"kind":"http","status":429}]]
Otherwise the reply is "Echo: <your text>". Ctrl-C stops.`);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await fake.close();
  rmSync(codexHome, { recursive: true, force: true });
  process.exit(0);
}
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());
