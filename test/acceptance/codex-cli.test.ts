// The official Codex CLI (`@openai/codex`, the real binary) pointed at the relay's /v1/responses with a custom model
// provider, against the fake backend. HOME and CODEX_HOME are temporary directories (the real ~/.codex is never
// read), the relay is on loopback, and the CLI's plugin sync, apps and update check are off, so nothing leaves the
// machine.

import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { usageLimitReached } from "../fakes/fake-chatgpt.ts";
import { startTestRelay, type TestRelay } from "../helpers/relay.ts";

const CODEX = fileURLToPath(new URL("../../node_modules/.bin/codex", import.meta.url));
const RELAY_KEY = "relay-test-key";
const HAVE_CODEX = existsSync(CODEX);
// The binary comes with `npm ci` (@openai/codex is a dev dependency): in CI its absence is a failure, elsewhere a
// loud skip.
if (!HAVE_CODEX) {
  const message = `@openai/codex is not installed (${CODEX}): the Codex CLI acceptance tests cannot run.`;
  if (process.env.CI) throw new Error(message);
  console.warn(`\n*** SKIPPED: ${message} Run npm install. ***\n`);
}
const RUN_TIMEOUT_MS = 45_000;

let t: TestRelay;
let dir: string;

beforeAll(async () => {
  // The relay requires its own API key: the CLI must send it (env_key) for anything to work.
  t = await startTestRelay({ env: { OPENAI_API_KEY: RELAY_KEY } });
  dir = mkdtempSync(join(tmpdir(), "codex-relay-cli-"));
});
afterAll(async () => {
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => t.fake.reset());

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** What -o wrote: the CLI's last agent message. */
  lastMessage: string;
}

let runs = 0;

interface ExecOptions {
  /** The relay to use (default: the shared one). */
  relay?: TestRelay;
  /** `supports_websockets = true`: the CLI talks WebSocket to the relay's GET /v1/responses. */
  websockets?: boolean;
}

/** Runs `codex exec` in fresh HOME / CODEX_HOME / work directories with the relay as its model provider. */
async function codexExec(prompt: string, options: ExecOptions = {}): Promise<Run> {
  const relay = options.relay ?? t;
  const n = runs++;
  const home = mkdtempSync(join(dir, `home-${n}-`));
  const codexHome = mkdtempSync(join(dir, `codex-home-${n}-`));
  const work = mkdtempSync(join(dir, `work-${n}-`));
  const lastMessageFile = join(dir, `last-message-${n}.txt`);
  writeFileSync(
    join(codexHome, "config.toml"),
    [
      'model_provider = "relay"',
      'model = "gpt-5.5"',
      "check_for_update_on_startup = false",
      "",
      "[analytics]",
      "enabled = false",
      "",
      "[model_providers.relay]",
      'name = "relay"',
      `base_url = "${relay.url}/v1"`,
      'wire_api = "responses"',
      'env_key = "RELAY_KEY"',
      `supports_websockets = ${options.websockets === true}`,
      "request_max_retries = 0",
      "stream_max_retries = 0",
      "",
    ].join("\n"),
  );
  const args = [
    "exec",
    "--skip-git-repo-check",
    "--ephemeral",
    "--sandbox",
    "read-only",
    "--color",
    "never",
    // No network beyond the relay: no plugin sync (GitHub, chatgpt.com), no connectors.
    ...["--disable", "plugins", "--disable", "remote_plugin", "--disable", "apps"],
    "--output-last-message",
    lastMessageFile,
    prompt,
  ];
  const child = spawn(CODEX, args, {
    cwd: work,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: home,
      CODEX_HOME: codexHome,
      RELAY_KEY,
      NO_COLOR: "1",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
  const timer = setTimeout(() => child.kill("SIGKILL"), RUN_TIMEOUT_MS);
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  clearTimeout(timer);
  const lastMessage = existsSync(lastMessageFile) ? readFileSync(lastMessageFile, "utf8") : "";
  return { code, stdout, stderr, lastMessage };
}

type Part = { type: string; text?: string };
type Item = Record<string, unknown> & { type?: string; role?: string; content?: Part[]; call_id?: string };

const textOf = (item: Item | undefined) => item?.content?.map((p) => p.text ?? "").join("") ?? "";

/** Fails with the CLI's output, so a failure says what the CLI saw. */
function expectSuccess(run: Run) {
  expect(run.code, `codex exec failed:\n${run.stderr}\n${run.stdout}`).toBe(0);
}

// One CLI run takes about a second; the margin is for a cold start on a slow machine.
describe.skipIf(!HAVE_CODEX)(
  "codex exec with the relay as a custom model provider",
  { timeout: 60_000 },
  () => {
    it("sends its own request through /v1/responses untouched and prints the backend's answer", async () => {
      t.fake.enqueue({
        kind: "text",
        text: "Hi from the fake backend.",
        usage: { input_tokens: 900, output_tokens: 6 },
      });
      const run = await codexExec("say hi");
      expectSuccess(run);
      expect(run.stdout).toContain("Hi from the fake backend.");
      expect(run.lastMessage.trim()).toBe("Hi from the fake backend.");

      expect(t.fake.requests).toHaveLength(1);
      const request = t.fake.requests[0]!;
      const body = request.body as Record<string, unknown> & { input: Item[]; tools: Item[] };
      expect(body.model).toBe("gpt-5.5");
      expect(body.stream).toBe(true);
      expect(body.store).toBe(false);
      // The CLI's base prompt is its first developer message, not `instructions`; the relay adds nothing before it.
      expect(body.input[0]).toMatchObject({ type: "message", role: "developer" });
      expect(textOf(body.input[0])).toMatch(/^You are Codex/);
      expect(body).not.toHaveProperty("instructions");
      const last = body.input.at(-1);
      expect(last).toMatchObject({ type: "message", role: "user" });
      expect(textOf(last)).toBe("say hi");
      // Its tools, function and non-function alike, pass through.
      const names = body.tools.map((tool) => String(tool.name ?? tool.type));
      expect(names).toContain("exec_command");
      expect(body.tools.some((tool) => tool.type !== "function")).toBe(true);
      // client_metadata (turn ids) and the CLI's prompt_cache_key pass through; the relay keys the session by it.
      expect(body.client_metadata).toEqual(expect.objectContaining({}));
      expect(Object.keys(body.client_metadata as object).length).toBeGreaterThan(0);
      expect(typeof body.prompt_cache_key).toBe("string");
      expect(request.headers["session-id"]).toBe(body.prompt_cache_key);
      // The relay signs the request with the ChatGPT account, not with the CLI's key.
      expect(request.headers.authorization).not.toContain(RELAY_KEY);
      expect(request.headers["chatgpt-account-id"]).toBeTruthy();
    });

    it("runs a tool the backend calls and sends the result back in the next request", async () => {
      t.fake.setDefaultScenario((body) => {
        const input = body.input as Item[];
        const output = input.find((i) => i.type === "function_call_output");
        if (output === undefined) {
          return {
            kind: "tool_calls",
            reasoning: ["I will run a command."],
            calls: [
              { name: "exec_command", arguments: { cmd: "echo relay-roundtrip" }, callId: "call_cli_1" },
            ],
          };
        }
        return { kind: "text", text: "The command ran." };
      });
      const run = await codexExec("run the command");
      expectSuccess(run);
      expect(run.lastMessage.trim()).toBe("The command ran.");
      expect(run.stdout).toContain("The command ran.");

      expect(t.fake.requests).toHaveLength(2);
      const second = (t.fake.requests[1]!.body as { input: Item[] }).input;
      const call = second.find((i) => i.type === "function_call");
      const output = second.find((i) => i.type === "function_call_output");
      // The CLI rebuilt the call from the relay's stream and answered it under the same call id.
      expect(call).toMatchObject({ call_id: "call_cli_1", name: "exec_command" });
      expect(JSON.parse(String(call!.arguments))).toEqual({ cmd: "echo relay-roundtrip" });
      expect(output).toMatchObject({ call_id: "call_cli_1" });
      expect(String(output!.output)).not.toBe("");
      expect(second.indexOf(call!)).toBeLessThan(second.indexOf(output!));
      // The reasoning item (with the encrypted content the backend sent) is replayed too.
      expect(second.find((i) => i.type === "reasoning")).toMatchObject({
        summary: [{ type: "summary_text", text: "I will run a command." }],
        encrypted_content: expect.stringMatching(/^gAAAA/),
      });
    });

    it("shows the backend's failure (context window exceeded) and exits non-zero", async () => {
      t.fake.enqueue({
        kind: "failed",
        code: "context_length_exceeded",
        message: "Your input exceeds the context window of this model.",
      });
      const run = await codexExec("too long");
      expect(run.code).not.toBe(0);
      expect(run.stderr).toMatch(/context window/i);
      expect(t.fake.requests).toHaveLength(1);
    });

    it("recognises the relay's 429 as the usage limit", async () => {
      t.fake.enqueue(usageLimitReached({ resetsInSeconds: 1800 }));
      const run = await codexExec("anything");
      expect(run.code).not.toBe(0);
      expect(run.stderr).toMatch(/usage limit/i);
      expect(t.fake.requests).toHaveLength(1);
    });
  },
);

describe.skipIf(!HAVE_CODEX)("codex exec over the Responses WebSocket", { timeout: 60_000 }, () => {
  let tw: TestRelay;
  /** What the CLI sent to the relay: HTTP requests (method path) and WebSocket upgrades. */
  const seen = { http: [] as string[], upgrades: 0 };

  beforeAll(async () => {
    tw = await startTestRelay({ env: { OPENAI_API_KEY: RELAY_KEY, UPSTREAM_TRANSPORT: "websocket" } });
    tw.relay.server.on("request", (req: { method?: string; url?: string }) =>
      seen.http.push(`${req.method} ${req.url}`),
    );
    tw.relay.server.on("upgrade", () => seen.upgrades++);
  });
  afterAll(() => tw.close());
  beforeEach(() => {
    tw.fake.reset();
    seen.http.length = 0;
    seen.upgrades = 0;
  });

  it("runs a tool turn over WebSocket end to end, without the HTTP fallback; the relay sends the backend only the new items", async () => {
    tw.fake.setDefaultScenario((body) => {
      const input = body.input as Item[];
      if (!input.some((i) => i.type === "function_call_output")) {
        return {
          kind: "tool_calls",
          reasoning: ["Run it."],
          calls: [{ name: "exec_command", arguments: { cmd: "echo over-websocket" }, callId: "call_ws_1" }],
        };
      }
      return { kind: "text", text: "Ran it over the WebSocket." };
    });
    const run = await codexExec("run the command", { relay: tw, websockets: true });
    expectSuccess(run);
    expect(run.lastMessage.trim()).toBe("Ran it over the WebSocket.");
    // The CLI upgraded and never POSTed: no fallback.
    expect(seen.upgrades).toBeGreaterThanOrEqual(1);
    expect(seen.http.filter((r) => r.startsWith("POST /v1/responses"))).toEqual([]);
    expect(run.stderr).not.toMatch(/falling back to HTTP/i);

    // Relay → backend: two turns as WebSocket frames; the second carries only what is new, on the same connection.
    const frames = tw.fake.requests.filter((r) => r.method === "WS");
    expect(frames).toHaveLength(2);
    expect(tw.fake.requests.filter((r) => r.method === "POST")).toHaveLength(0);
    const [first, second] = frames as [(typeof frames)[0], (typeof frames)[0]];
    expect(second.connection).toBe(first.connection);
    const secondBody = second.body as { previous_response_id?: string; input: Item[] };
    expect(typeof secondBody.previous_response_id).toBe("string");
    expect(secondBody.input.map((i) => i.type)).toEqual(["function_call_output"]);
    expect(secondBody.input[0]).toMatchObject({ call_id: "call_ws_1" });
    expect(second.bytes).toBeLessThan(first.bytes / 2);
    // What the backend stood for: the CLI's whole history.
    const resolved = second.resolvedInput as Item[];
    expect(resolved.find((i) => i.type === "function_call")).toMatchObject({ call_id: "call_ws_1" });
    expect(textOf(resolved[0])).toMatch(/^You are Codex/);
  });

  it("gets the backend's errors over the WebSocket as the CLI knows them (usage limit)", async () => {
    tw.fake.enqueue(usageLimitReached({ resetsInSeconds: 1800 }));
    const run = await codexExec("anything", { relay: tw, websockets: true });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/usage limit/i);
    expect(seen.http.filter((r) => r.startsWith("POST /v1/responses"))).toEqual([]);
  });
});
