// The real Claude Code binary (@anthropic-ai/claude-code, pinned) in print mode (`claude -p`) with
// ANTHROPIC_BASE_URL at the relay, against the fake backend. HOME and CLAUDE_CONFIG_DIR are temporary directories
// and its non-essential traffic (telemetry, update checks, …) is off, so nothing leaves the machine: every request
// it makes goes to the relay, and a recording proxy in front of the relay shows each one (a HEAD on the base URL,
// POST /v1/messages?beta=true per turn).

import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadRecorded, RECORDED } from "../helpers/recorded.ts";
import { toolRoundTrip } from "../fakes/fake-chatgpt.ts";
import { startTestRelay, type TestRelay } from "../helpers/relay.ts";

const CLAUDE = fileURLToPath(new URL("../../node_modules/.bin/claude", import.meta.url));
const RELAY_KEY = "relay-test-key";
const HAVE_CLAUDE = existsSync(CLAUDE);
if (!HAVE_CLAUDE) {
  const message = `@anthropic-ai/claude-code is not installed (${CLAUDE}): the Claude Code acceptance tests cannot run.`;
  if (process.env.CI) throw new Error(message);
  console.warn(`\n*** SKIPPED: ${message} Run npm install. ***\n`);
}
const RUN_TIMEOUT_MS = 90_000;

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  status?: number;
}

let t: TestRelay;
let dir: string;
let proxy: http.Server;
let proxyUrl: string;
const seen: Seen[] = [];

beforeAll(async () => {
  t = await startTestRelay({ env: { OPENAI_API_KEY: RELAY_KEY } });
  dir = mkdtempSync(join(tmpdir(), "codex-relay-claude-"));
  // Records what Claude Code asks the relay for and passes it on unchanged.
  const target = new URL(t.url);
  proxy = http.createServer((req, res) => {
    const entry: Seen = { method: req.method ?? "", url: req.url ?? "", headers: req.headers };
    seen.push(entry);
    const up = http.request(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
      (reply) => {
        entry.status = reply.statusCode;
        res.writeHead(reply.statusCode ?? 502, reply.headers);
        reply.pipe(res);
      },
    );
    up.on("error", () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => proxy.close(() => resolve()));
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  t.fake.reset();
  seen.length = 0;
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The stream-json lines Claude Code printed. */
  events: Record<string, unknown>[];
}

let runs = 0;

async function claude(args: string[], auth: Record<string, string>): Promise<Run> {
  const n = runs++;
  const home = mkdtempSync(join(dir, `home-${n}-`));
  const work = mkdtempSync(join(dir, `work-${n}-`));
  mkdirSync(join(home, ".claude"));
  const child = spawn(CLAUDE, ["-p", ...args, "--output-format", "stream-json", "--verbose"], {
    cwd: work,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: home,
      CLAUDE_CONFIG_DIR: join(home, ".claude"),
      ANTHROPIC_BASE_URL: proxyUrl,
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      DISABLE_AUTOUPDATER: "1",
      DISABLE_TELEMETRY: "1",
      NO_COLOR: "1",
      ...auth,
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
  const events: Record<string, unknown>[] = [];
  for (const line of stdout.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      events.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // not an event line
    }
  }
  return { code, stdout, stderr, events };
}

const result = (run: Run) =>
  run.events.find((e) => e.type === "result") as
    { subtype?: string; result?: string; is_error?: boolean } | undefined;

function expectSuccess(run: Run) {
  expect(run.code, `claude -p failed:\n${run.stderr}\n${run.stdout.slice(-3000)}`).toBe(0);
  expect(result(run), run.stdout.slice(-3000)).toMatchObject({ subtype: "success", is_error: false });
}

type Item = Record<string, unknown> & { type?: string; role?: string; call_id?: string };

describe.skipIf(!HAVE_CLAUDE)("claude -p with ANTHROPIC_BASE_URL at the relay", { timeout: 120_000 }, () => {
  it("answers a prompt; every request went to the relay and was answered", async () => {
    t.fake.enqueue({ kind: "text", text: "Hi from the relay.", reasoning: ["Say hi."] });
    const run = await claude(["say hi"], { ANTHROPIC_API_KEY: RELAY_KEY });
    expectSuccess(run);
    expect(result(run)!.result).toBe("Hi from the relay.");

    // Claude Code 2.1.197 preconnects with HEAD <base>, then one POST /v1/messages?beta=true for the turn.
    const posts = seen.filter((s) => s.method === "POST");
    expect(posts.map((s) => s.url)).toEqual(["/v1/messages?beta=true"]);
    for (const s of seen) expect(s.status, `${s.method} ${s.url}`).toBeLessThan(400);
    expect(posts[0]!.headers["x-api-key"]).toBe(RELAY_KEY);
    expect(posts[0]!.headers["anthropic-version"]).toBeTruthy();

    expect(t.fake.requests).toHaveLength(1);
    const body = t.fake.requests[0]!.body as Record<string, unknown> & { input: Item[] };
    // Its default model (opus) → the strongest model at high effort (or the effort Claude Code asked for).
    expect(body.model).toBe("gpt-5.5");
    expect(body.include).toEqual(["reasoning.encrypted_content"]);
    expect(body).not.toHaveProperty("max_output_tokens");
    expect(JSON.stringify(body)).not.toContain("x-anthropic-billing-header");
    expect(JSON.stringify(body.input)).toContain("Claude");
    expect((body.tools as Item[]).some((tool) => tool.name === "Bash")).toBe(true);
    expect(body.prompt_cache_key).toMatch(/^[0-9a-f-]{36}$/);
    expect(t.fake.requests[0]!.headers["session-id"]).toBe(body.prompt_cache_key);
  });

  it("runs the Bash tool the model calls and answers with its result (Bearer auth)", async () => {
    t.fake.setDefaultScenario(
      toolRoundTrip(
        {
          name: "Bash",
          arguments: { command: "echo relay-roundtrip", description: "Print a word" },
          callId: "call_cc_1",
        },
        (output) => `The command printed ${output.trim()}.`,
      ),
    );
    const run = await claude(["run echo relay-roundtrip", "--allowedTools", "Bash(echo:*)"], {
      ANTHROPIC_AUTH_TOKEN: RELAY_KEY,
    });
    expectSuccess(run);
    expect(result(run)!.result).toBe("The command printed relay-roundtrip.");

    const posts = seen.filter((s) => s.method === "POST");
    expect(posts).toHaveLength(2);
    expect(posts[0]!.headers.authorization).toBe(`Bearer ${RELAY_KEY}`);

    expect(t.fake.requests).toHaveLength(2);
    const [first, second] = t.fake.requests.map((r) => r.body as { input: Item[]; prompt_cache_key: string });
    const call = second!.input.find((i) => i.type === "function_call");
    const output = second!.input.find((i) => i.type === "function_call_output");
    expect(call).toMatchObject({ call_id: "call_cc_1", name: "Bash" });
    expect(JSON.parse(String(call!.arguments))).toMatchObject({ command: "echo relay-roundtrip" });
    expect(output).toMatchObject({ call_id: "call_cc_1" });
    expect(String(output!.output)).toContain("relay-roundtrip");
    // The thinking block's signature brought the backend's encrypted reasoning back, before the call.
    const reasoning = second!.input.find((i) => i.type === "reasoning");
    expect(reasoning).toMatchObject({ encrypted_content: expect.stringMatching(/^gAAAA/) });
    expect(second!.input.indexOf(reasoning!)).toBeLessThan(second!.input.indexOf(call!));
    // The same session keeps the same cache key.
    expect(second!.prompt_cache_key).toBe(first!.prompt_cache_key);
  });

  it("WebSearch: its web_search request is answered with the searches, and the links reach the model", async () => {
    t.fake.enqueue({
      kind: "tool_calls",
      calls: [{ name: "WebSearch", arguments: { query: "tech news today" }, callId: "call_ws_1" }],
    });
    // Claude Code's own request with the web_search server tool, answered by the recorded web-search stream.
    t.fake.enqueue({ kind: "events", events: loadRecorded(RECORDED.webSearch) });
    t.fake.enqueue({ kind: "text", text: "Searched." });
    const run = await claude(["what is in the tech news today?", "--allowedTools", "WebSearch"], {
      ANTHROPIC_API_KEY: RELAY_KEY,
    });
    expectSuccess(run);
    expect(result(run)!.result).toBe("Searched.");

    expect(t.fake.requests).toHaveLength(3);
    const [, search, last] = t.fake.requests.map((r) => r.body as { input: Item[]; tools?: Item[] });
    expect(search!.tools).toEqual([{ type: "web_search" }]);
    const output = last!.input.find((i) => i.type === "function_call_output" && i.call_id === "call_ws_1");
    expect(output, JSON.stringify(last!.input).slice(-3000)).toBeDefined();
    const text = JSON.stringify(output!.output);
    // A page only the search results list (the answer text never names it): it came from web_search_tool_result.
    expect(text).toContain("https://www.barrons.com/articles/stock-movers-7c77880d");
    expect(text).toContain('Web search results for query: \\"tech news today\\"');
  });
});
