// `npm run bench [-- --profile] [-- --only chat]`: the relay against the fake backend on loopback, side by side
// with the fake called directly and with a bare pass-through proxy (fetch, like the relay; the reference for "any
// Node hop"). Four processes: the fake backend (bench/fake-process.ts), the relay exactly as `npm start` runs it
// (scripts/start.mjs, the bundled server, plus a preload that only answers memory queries over IPC), the bare proxy
// (bench/bare-proxy.ts), and this one, which drives the load (bench/load.ts) and replays the translator
// (bench/translator.ts). Prints one markdown table on stdout; progress goes to stderr. Exits non-zero only when
// something fails (a wrong answer, an error response), never on a missed target.

import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import http from "node:http";
import { createServer } from "node:net";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { parseChatRequest } from "../src/openai/chat-request-schema.ts";
import { deriveConversationKey, toResponsesRequest } from "../src/openai/to-responses-request.ts";
import { defaultModels } from "../test/fakes/models.ts";
import type { FakeReady, LastRequest } from "./fake-process.ts";
import { HttpTarget, mergeResults, percentile, type LoadResult, type RequestSpec } from "./load.ts";
import {
  answerTokens,
  fakeTextInput,
  fixtureInput,
  longLineInput,
  measureLongLine,
  measureTranslator,
} from "./translator.ts";
import { summarizeProfile } from "./profile.ts";
import { runAgentBench, type AgentSide } from "./agent-conversation.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** What bench/memory-hook.mjs answers. */
interface MemReply {
  type: "mem";
  gc: boolean;
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

const CELLS = [
  "translator",
  "memory",
  "chat-c1",
  "chat-c64",
  "chat-stream",
  "ollama-stream",
  "ollama-c64",
  "responses-stream",
  "responses-c64",
  "agent",
] as const;

const { values: args } = parseArgs({
  options: {
    profile: { type: "boolean", default: false },
    only: { type: "string", multiple: true },
    "round-ms": { type: "string", default: "1000" },
    rounds: { type: "string", default: "3" },
    streams: { type: "string", default: "1000" },
    "agent-conversations": { type: "string", default: "3" },
    "bare-client": { type: "string", default: "fetch" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (args.help) {
  console.log(`usage: npm run bench -- [--profile] [--only <cell>]… [--rounds 3] [--round-ms 1000] [--streams 1000]
  cells: ${CELLS.join(", ")} (--only matches by prefix: --only chat; agent: the 30-turn agent conversation over HTTP and WebSocket)
  --profile  run the relay with --cpu-prof and print where its time went after the table
  --agent-conversations 3  conversations per side in the agent cell (the median per turn is reported)
  --bare-client http  the reference proxy calls the fake with node:http instead of fetch (what fetch costs)`);
  process.exit(0);
}
const ROUNDS = Number(args.rounds);
const ROUND_MS = Number(args["round-ms"]);
const STREAMS = Number(args.streams);
const AGENT_CONVERSATIONS = Number(args["agent-conversations"]);
const BARE_CLIENT = args["bare-client"] === "http" ? "http" : "fetch";
const wanted = (id: string) => !args.only || args.only.some((o) => id.startsWith(o));
const log = (msg: string) => process.stderr.write(`bench: ${msg}\n`);

const MODEL = "gpt-5.4";
/** A short non-stream answer: 20 words (28 backend events). */
const SHORT = { kind: "text", deltas: 20 };
/** The streamed answer of the stream rows: 500 words (508 backend events). */
const LONG = { kind: "text", deltas: 500 };
const LONG_EVENTS = 508;
/** Streams that stay open during the memory row: one word every 250 ms for ~8 minutes. */
const SLOW = { kind: "text", deltas: 2000, delayMs: 250 };

// ── processes ─────────────────────────────────────────────────────────────────────────────────────────────────

const children: ChildProcess[] = [];

function childOutput(child: ChildProcess): () => string {
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
  child.stderr?.on("data", (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
  return () => out;
}

function spawnNode(
  nodeArgs: string[],
  env: Record<string, string>,
): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, nodeArgs, {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  children.push(child);
  return { child, output: childOutput(child) };
}

function firstMessage<T>(child: ChildProcess, output: () => string, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start:\n${output()}`)), 20_000);
    child.once("message", (m) => {
      clearTimeout(timer);
      resolve(m as T);
    });
    child.once("exit", (code) => reject(new Error(`${what} exited with ${code}:\n${output()}`)));
  });
}

async function startFake(
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; ready: FakeReady }> {
  const { child, output } = spawnNode(["--import", "tsx", "bench/fake-process.ts"], {
    NODE_ENV: "production",
    ...env,
  });
  return { child, ready: await firstMessage<FakeReady>(child, output, "the fake backend") };
}

async function startBareWsProxy(fake: FakeReady): Promise<{ child: ChildProcess; url: string }> {
  const { child, output } = spawnNode(["--import", "tsx", "bench/bare-ws-proxy.ts"], {
    UPSTREAM_WS: fake.responsesWebSocketUrl,
    ACCESS_TOKEN: fake.accessToken,
    ACCOUNT_ID: fake.accountId,
  });
  const ready = await firstMessage<{ port: number }>(child, output, "the bare WebSocket proxy");
  return { child, url: `http://127.0.0.1:${ready.port}` };
}

async function startBareProxy(fake: FakeReady): Promise<{ child: ChildProcess; url: string }> {
  const { child, output } = spawnNode(
    ["--expose-gc", "--import", "./bench/memory-hook.mjs", "--import", "tsx", "bench/bare-proxy.ts"],
    { UPSTREAM: fake.url, PORT: "0", CLIENT: BARE_CLIENT },
  );
  const ready = await firstMessage<{ port: number }>(child, output, "the bare proxy");
  return { child, url: `http://127.0.0.1:${ready.port}` };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function startRelay(
  fake: FakeReady,
  profileDir: string | undefined,
  extraEnv: Record<string, string> = {},
): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const flags = profileDir ? ["--cpu-prof", "--cpu-prof-dir", profileDir] : [];
  const { child, output } = spawnNode(
    // `npm start` is `node --enable-source-maps scripts/start.mjs` (the esbuild bundle, rebuilt when stale).
    [
      ...flags,
      "--expose-gc",
      "--import",
      "./bench/memory-hook.mjs",
      "--enable-source-maps",
      "scripts/start.mjs",
    ],
    {
      ...fake.env,
      HOST: "127.0.0.1",
      PORT: String(port),
      LOG_LEVEL: "warn",
      // Set (empty) so that a developer's .env cannot turn them on for the benchmark.
      OPENAI_API_KEY: "",
      DEBUG_MODEL: "",
      VERBOSE: "false",
      // The memory cell holds 1,000 streams open at once; the default limit (512) would refuse half of them.
      MAX_CONNECTIONS: "4096",
      ...extraEnv,
    },
  );
  // With LOG_LEVEL=warn the relay prints no "listening" line: poll /health.
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the relay exited with ${child.exitCode}:\n${output()}`);
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the relay did not start:\n${output()}`);
    await sleep(100);
  }
  return { child, url };
}

function stopChild(child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ── /proc readings ────────────────────────────────────────────────────────────────────────────────────────────

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** CPU time (user + system) of a process, all threads, ms. */
function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

/** Busy CPU time of the whole machine (all cores), ms. */
function machineBusyMs(): number {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return (total - idle) * TICK_MS;
}

function vmRssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) * 1024 : NaN;
}

function memoryOf(child: ChildProcess): Promise<MemReply> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no answer to the memory query")), 10_000);
    const onMessage = (m: unknown) => {
      if ((m as { type?: unknown }).type !== "mem") return;
      clearTimeout(timer);
      child.off("message", onMessage);
      resolve(m as MemReply);
    };
    child.on("message", onMessage);
    child.send({ type: "mem" });
  });
}

// ── requests ──────────────────────────────────────────────────────────────────────────────────────────────────

function chatMessages(directive: object) {
  return [
    { role: "system", content: "You are a helpful assistant. Answer briefly." },
    { role: "user", content: `Write a few words of greeting. [[fake ${JSON.stringify(directive)}]]` },
  ];
}

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

function relayChat(directive: object, stream: boolean): RequestSpec {
  return {
    path: "/v1/chat/completions",
    headers: { "content-type": "application/json" },
    body: json({ model: MODEL, stream, messages: chatMessages(directive) }),
  };
}

function relayOllama(directive: object, stream: boolean): RequestSpec {
  return {
    path: "/api/chat",
    headers: { "content-type": "application/json" },
    body: json({ model: MODEL, stream, messages: chatMessages(directive) }),
  };
}

function relayResponses(directive: object, stream: boolean): RequestSpec {
  return {
    path: "/v1/responses",
    headers: { "content-type": "application/json" },
    body: json({
      model: MODEL,
      stream,
      instructions: "You are a helpful assistant. Answer briefly.",
      input: [
        {
          role: "user",
          content: [
            {
              type: "input_text",
              text: `Write a few words of greeting. [[fake ${JSON.stringify(directive)}]]`,
            },
          ],
        },
      ],
    }),
  };
}

/** What the relay itself sends the backend for relayChat(directive): built by the relay's own functions. */
function directFor(fake: FakeReady, directive: object): RequestSpec {
  const req = parseChatRequest({ model: MODEL, stream: false, messages: chatMessages(directive) });
  const entry = defaultModels().find((m) => m.slug === MODEL);
  const sessionId = deriveConversationKey(req);
  const body = toResponsesRequest(req, {
    model: MODEL,
    defaults: { effort: "medium", summary: "auto" },
    instructions: String(entry?.base_instructions ?? ""),
    instructionsMode: "developer",
    promptCacheKey: sessionId,
  });
  body.client_metadata = { "x-codex-installation-id": "00000000-0000-4000-8000-000000000000" };
  return {
    path: new URL(fake.responsesUrl).pathname,
    headers: {
      authorization: `Bearer ${fake.accessToken}`,
      "chatgpt-account-id": fake.accountId,
      originator: "codex_cli_rs",
      "user-agent": "codex_cli_rs/0.169.0 (codex-relay bench)",
      "session-id": sessionId,
      accept: "text/event-stream",
      "content-type": "application/json",
    },
    body: json(body),
  };
}

// Checks of one answer, so that a fast wrong answer cannot pass for a fast right one.
type Check = (text: string) => string | null;
const words = (n: number) => (s: string) => s.trim().split(/\s+/).length === n;
const checks = {
  directSse:
    (n: number): Check =>
    (t) => {
      const deltas = t.split("event: response.output_text.delta\n").length - 1;
      if (!t.includes("event: response.completed")) return "no response.completed";
      return deltas === n ? null : `${deltas} text deltas, expected ${n}`;
    },
  chatJson:
    (n: number): Check =>
    (t) => {
      const body = JSON.parse(t) as { choices?: { message?: { content?: string } }[] };
      const content = body.choices?.[0]?.message?.content ?? "";
      return words(n)(content) ? null : `unexpected content ${JSON.stringify(content.slice(0, 80))}`;
    },
  chatSse:
    (n: number): Check =>
    (t) => {
      if (!t.endsWith("data: [DONE]\n\n")) return "no [DONE]";
      if (!t.includes('"finish_reason":"stop"')) return "no finish_reason stop";
      const content = t
        .split("\n\n")
        .filter((l) => l.startsWith("data: {"))
        .map(
          (l) => (JSON.parse(l.slice(6)) as { choices: { delta: { content?: string } }[] }).choices[0]?.delta,
        )
        .map((d) => d?.content ?? "")
        .join("");
      return words(n)(content) ? null : `streamed content has ${content.split(/\s+/).length} words`;
    },
  ollamaJson:
    (n: number): Check =>
    (t) => {
      const body = JSON.parse(t) as { message?: { content?: string }; done?: boolean };
      if (body.done !== true) return "done is not true";
      return words(n)(body.message?.content ?? "") ? null : "unexpected content";
    },
  ollamaNdjson:
    (n: number): Check =>
    (t) => {
      const lines = t
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { message?: { content?: string }; done?: boolean });
      if (lines.at(-1)?.done !== true) return "the last line is not done:true";
      const content = lines.map((l) => l.message?.content ?? "").join("");
      return words(n)(content) ? null : "unexpected content";
    },
  responsesJson:
    (n: number): Check =>
    (t) => {
      const body = JSON.parse(t) as { status?: string; output_text?: string; output?: unknown[] };
      if (body.status !== "completed") return `status ${body.status}`;
      const text = JSON.stringify(body.output ?? []);
      return text.includes("lorem") && n > 0 ? null : "no output text";
    },
  responsesSse:
    (n: number): Check =>
    (t) => {
      const deltas = t.split("response.output_text.delta").length - 1;
      if (!t.includes("response.completed")) return "no response.completed";
      return deltas >= n ? null : `${deltas} text deltas, expected ${n}`;
    },
};

// ── measurements ──────────────────────────────────────────────────────────────────────────────────────────────

type SideName = "direct" | "bare" | "relay";
const SIDES: SideName[] = ["direct", "bare", "relay"];

/** CPU ms used by each process. */
interface Cpu {
  fake: number;
  bare: number;
  relay: number;
  client: number;
  machine: number;
}

interface Side {
  result: LoadResult;
  cpu: Cpu;
  /** Wall time of this side's rounds, ms. */
  wallMs: number;
}

interface Comparison {
  sides: Partial<Record<SideName, Side>>;
  /** Cores used by other processes on the machine during the rounds (their average). */
  otherCores: number;
}

interface Bench {
  pids: { fake: number; bare: number; relay: number };
  targets: Record<SideName, HttpTarget>;
}

function cpuNow(b: Bench): Cpu {
  const self = process.cpuUsage();
  return {
    fake: processCpuMs(b.pids.fake),
    bare: processCpuMs(b.pids.bare),
    relay: processCpuMs(b.pids.relay),
    client: (self.user + self.system) / 1000,
    machine: machineBusyMs(),
  };
}

function cpuDiff(a: Cpu, b: Cpu): Cpu {
  return {
    fake: b.fake - a.fake,
    bare: b.bare - a.bare,
    relay: b.relay - a.relay,
    client: b.client - a.client,
    machine: b.machine - a.machine,
  };
}

function cpuAdd(a: Cpu, b: Cpu): Cpu {
  return {
    fake: a.fake + b.fake,
    bare: a.bare + b.bare,
    relay: a.relay + b.relay,
    client: a.client + b.client,
    machine: a.machine + b.machine,
  };
}

const NO_CPU: Cpu = { fake: 0, bare: 0, relay: 0, client: 0, machine: 0 };

async function verify(target: HttpTarget, spec: RequestSpec, check: Check, what: string): Promise<void> {
  const agent = new http.Agent({ keepAlive: false });
  const answer = await target.send(spec, agent, true);
  const problem = check(answer.text ?? "");
  if (problem) throw new Error(`${what}: wrong answer: ${problem}`);
}

/**
 * The same load against each side in turn, in rounds whose order rotates (D B R, B R D, R D B, …), so that drift in
 * the machine's load falls on every side alike. Percentiles pool the rounds.
 */
async function compare(
  b: Bench,
  specs: Partial<Record<SideName, RequestSpec>>,
  concurrency: number,
): Promise<Comparison> {
  const names = SIDES.filter((s) => specs[s] !== undefined);
  // Warm every path (JIT, connection pools) before measuring.
  for (const s of names) await b.targets[s].closedLoop(specs[s]!, concurrency, Math.min(400, ROUND_MS));
  const runs = new Map<SideName, LoadResult[]>(names.map((s) => [s, []]));
  const cpu = new Map<SideName, Cpu>(names.map((s) => [s, NO_CPU]));
  const wall = new Map<SideName, number>(names.map((s) => [s, 0]));
  let other = 0;
  let totalWall = 0;
  for (let i = 0; i < ROUNDS; i++) {
    const order = names.map((_, k) => names[(k + i) % names.length]!);
    for (const s of order) {
      const before = cpuNow(b);
      const t0 = performance.now();
      const r = await b.targets[s].closedLoop(specs[s]!, concurrency, ROUND_MS);
      const used = cpuDiff(before, cpuNow(b));
      const ms = performance.now() - t0;
      totalWall += ms;
      wall.set(s, wall.get(s)! + ms);
      other += Math.max(0, used.machine - used.fake - used.bare - used.relay - used.client);
      runs.get(s)!.push(r);
      cpu.set(s, cpuAdd(cpu.get(s)!, used));
    }
  }
  const sides: Partial<Record<SideName, Side>> = {};
  for (const s of names) {
    const result = mergeResults(runs.get(s)!);
    if (result.errors > 0)
      throw new Error(`${s}: ${result.errors} failed requests, the first: ${result.firstError}`);
    sides[s] = { result, cpu: cpu.get(s)!, wallMs: wall.get(s)! };
  }
  const c = { sides, otherCores: other / totalWall };
  maxOtherCores = Math.max(maxOtherCores, c.otherCores);
  return c;
}

// ── the table ─────────────────────────────────────────────────────────────────────────────────────────────────

interface Row {
  measurement: string;
  direct: string;
  bare: string;
  relay: string;
  vsDirect: string;
  vsBare: string;
  target: string;
  ok: boolean | null;
}

const rows: Row[] = [];
const notes: string[] = [];
let maxOtherCores = 0;

const fmtInt = (n: number) => Math.round(n).toLocaleString("en-US");
const fmtMs = (n: number) => (n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0));
const signed = (n: number, digits = 0) => `${n >= 0 ? "+" : "−"}${Math.abs(n).toFixed(digits)}`;
const signedMs = (n: number) => `${signed(n, 2)} ms`;
const signedInt = (n: number) => `${n >= 0 ? "+" : "−"}${fmtInt(Math.abs(n))}`;
const rate = (r: LoadResult) => r.completed / (r.elapsedMs / 1000);
const mark = (ok: boolean | null) => (ok === null ? "" : ok ? "✓" : "✗");
const p = (values: number[], q: number) => percentile(values, q);
const pair = (values: number[]) => `${fmtMs(p(values, 50))} / ${fmtMs(p(values, 99))}`;
const DASH = "—";

/** CPU per request of every process that worked for `side`, µs, with the share of a core it kept busy. */
function cpuCell(name: SideName, side: Side | undefined): string {
  if (!side) return DASH;
  const n = side.result.completed;
  const part = (label: string, ms: number) =>
    `${label} ${fmtInt((ms * 1000) / n)} (${(ms / side.wallMs).toFixed(2)} core)`;
  const parts = [part("fake", side.cpu.fake)];
  if (name === "bare") parts.push(part("proxy", side.cpu.bare));
  if (name === "relay") parts.push(part("relay", side.cpu.relay));
  parts.push(part("client", side.cpu.client));
  return parts.join(" · ");
}

function perRequestTotal(side: Side): number {
  return ((side.cpu.fake + side.cpu.bare + side.cpu.relay + side.cpu.client) * 1000) / side.result.completed;
}

function rateRows(label: string, c: Comparison, concurrency: number): void {
  const { direct, bare, relay } = c.sides;
  if (!direct || !relay) throw new Error("rateRows needs the direct and relay sides");
  const d = direct.result;
  const r = relay.result;
  const ratio = rate(r) / rate(d);
  rows.push({
    measurement: `${label}, c=${concurrency}: requests/s`,
    direct: fmtInt(rate(d)),
    bare: bare ? fmtInt(rate(bare.result)) : DASH,
    relay: fmtInt(rate(r)),
    vsDirect: `${ratio.toFixed(2)}×`,
    vsBare: bare ? `${(rate(r) / rate(bare.result)).toFixed(2)}×` : DASH,
    target: "≥ 0.8× direct",
    ok: ratio >= 0.8,
  });
  const added = p(r.total, 50) - p(d.total, 50);
  rows.push({
    measurement: `${label}, c=${concurrency}: latency p50 / p99, ms`,
    direct: pair(d.total),
    bare: bare ? pair(bare.result.total) : DASH,
    relay: pair(r.total),
    vsDirect: `${signedMs(added)} p50`,
    vsBare: bare ? `${signedMs(p(r.total, 50) - p(bare.result.total, 50))} p50` : DASH,
    target: concurrency === 1 ? "added p50 < 1 ms" : `${DASH} (queueing)`,
    ok: concurrency === 1 ? added < 1 : null,
  });
  rows.push({
    measurement: `${label}, c=${concurrency}: CPU per request, µs`,
    direct: cpuCell("direct", direct),
    bare: cpuCell("bare", bare),
    relay: cpuCell("relay", relay),
    vsDirect: `${signedInt(perRequestTotal(relay) - perRequestTotal(direct))} µs`,
    vsBare: bare ? `${signedInt(perRequestTotal(relay) - perRequestTotal(bare))} µs` : DASH,
    target: "",
    ok: null,
  });
}

function streamRows(label: string, c: Comparison): void {
  const { direct, bare, relay } = c.sides;
  if (!direct || !relay) throw new Error("streamRows needs the direct and relay sides");
  const d = direct.result;
  const r = relay.result;
  const added = p(r.ttfb, 50) - p(d.ttfb, 50);
  rows.push({
    measurement: `${label}: time to first byte p50 / p99, ms`,
    direct: pair(d.ttfb),
    bare: bare ? pair(bare.result.ttfb) : DASH,
    relay: pair(r.ttfb),
    vsDirect: `${signedMs(added)} p50`,
    vsBare: bare ? `${signedMs(p(r.ttfb, 50) - p(bare.result.ttfb, 50))} p50` : DASH,
    target: "added p50 < 1 ms",
    ok: added < 1,
  });
  const ratio = p(d.total, 50) / p(r.total, 50);
  rows.push({
    measurement: `${label}: whole answer p50 / p99, ms`,
    direct: pair(d.total),
    bare: bare ? pair(bare.result.total) : DASH,
    relay: pair(r.total),
    vsDirect: `${ratio.toFixed(2)}× the direct rate`,
    vsBare: bare ? `${(p(bare.result.total, 50) / p(r.total, 50)).toFixed(2)}×` : DASH,
    target: "≥ 0.8× direct",
    ok: ratio >= 0.8,
  });
  rows.push({
    measurement: `${label}: CPU per answer, µs`,
    direct: cpuCell("direct", direct),
    bare: cpuCell("bare", bare),
    relay: cpuCell("relay", relay),
    vsDirect: `relay ${((relay.cpu.relay * 1000) / r.completed / LONG_EVENTS).toFixed(1)} µs per backend event`,
    vsBare: bare ? `${signedInt(perRequestTotal(relay) - perRequestTotal(bare))} µs` : DASH,
    target: "",
    ok: null,
  });
}

function printTable(): void {
  const header = [
    "Measurement",
    "Direct (fake)",
    `Bare Node proxy (${BARE_CLIENT})`,
    "codex-relay",
    "Relay vs direct",
    "Relay vs bare proxy",
    "Target",
    "",
  ];
  const lines = [header, header.map(() => "---")];
  for (const r of rows) {
    lines.push([r.measurement, r.direct, r.bare, r.relay, r.vsDirect, r.vsBare, r.target, mark(r.ok)]);
  }
  console.log(lines.map((l) => `| ${l.join(" | ")} |`).join("\n"));
}

// ── memory ────────────────────────────────────────────────────────────────────────────────────────────────────

interface MemoryReading {
  idleRss: number;
  loadedRss: number;
  idleHeap: number;
  loadedHeap: number;
  afterRss: number;
  afterHeap: number;
  openedMs: number;
}

/** RSS of `child` idle and with STREAMS open streams, after a forced GC each time. */
async function memoryUnder(
  child: ChildProcess,
  target: HttpTarget,
  warm: () => Promise<void>,
  slow: RequestSpec,
): Promise<MemoryReading> {
  const pid = child.pid!;
  await warm();
  await sleep(300);
  const idle = await memoryOf(child);
  const idleRss = vmRssBytes(pid);
  const t0 = performance.now();
  const streams = await target.openStreams(slow, STREAMS);
  const openedMs = performance.now() - t0;
  await sleep(1000);
  const loaded = await memoryOf(child);
  const loadedRss = vmRssBytes(pid);
  const open = streams.open();
  const errors = streams.errors();
  streams.close();
  if (errors.length > 0) throw new Error(`memory: ${errors.length} streams failed: ${errors[0]}`);
  if (open !== STREAMS) throw new Error(`memory: ${open} of ${STREAMS} streams were open`);
  await sleep(1500);
  const after = await memoryOf(child);
  return {
    idleRss,
    loadedRss,
    idleHeap: idle.heapUsed,
    loadedHeap: loaded.heapUsed,
    afterRss: after.rss,
    afterHeap: after.heapUsed,
    openedMs,
  };
}

const mb = (b: number) => `${(b / 2 ** 20).toFixed(0)} MB`;
const perStreamKb = (m: MemoryReading) => (m.loadedRss - m.idleRss) / STREAMS / 1024;
const heapPerStreamKb = (m: MemoryReading) => (m.loadedHeap - m.idleHeap) / STREAMS / 1024;
const memCell = (m: MemoryReading) =>
  `${perStreamKb(m).toFixed(0)} KB/stream (RSS ${mb(m.idleRss)} → ${mb(m.loadedRss)}; heap ${heapPerStreamKb(m).toFixed(0)} KB/stream)`;

// ── main ──────────────────────────────────────────────────────────────────────────────────────────────────────

async function main(): Promise<void> {
  const started = Date.now();
  const cpuModel = cpus()[0]?.model ?? "unknown CPU";
  log(
    `${cpus().length} cores (${cpuModel}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, load average ${loadavg()[0]!.toFixed(2)}`,
  );

  // The translator first, while nothing else of ours runs.
  if (wanted("translator")) {
    log("translator: replaying recorded streams in-process…");
    const recorded = fixtureInput(
      join(ROOT, "test/fixtures/recorded/openai-web-search-tool.1.chunks.jsonl"),
      "web search",
    );
    const fixture = measureTranslator(recorded, 2000);
    const fake500 = measureTranslator(fakeTextInput(500), 1000);
    // max_tokens as clients usually send it (4,096, above these answers' 1,006 and ~650 tokens): the limiter proves
    // by length alone that the budget cannot be crossed and counts nothing. Worst case, max_tokens = the answer's
    // own length: every token is counted up to the last, and nothing is cut.
    const fake500Input = fakeTextInput(500);
    const usualFixture = measureTranslator(recorded, 2000, { maxTokens: 4096 });
    const usual500 = measureTranslator(fake500Input, 1000, { maxTokens: 4096 });
    const tightFixture = measureTranslator(recorded, 2000, { maxTokens: answerTokens(recorded) });
    const tight500 = measureTranslator(fake500Input, 1000, { maxTokens: answerTokens(fake500Input) });
    rows.push({
      measurement: "Translator, one core, no network: backend events/s",
      direct: DASH,
      bare: DASH,
      relay: `${fmtInt(fixture.eventsPerCpuSecond)} (recorded web-search stream) · ${fmtInt(fake500.eventsPerCpuSecond)} (fake 500-word answer)`,
      vsDirect: `${(1e6 / fixture.eventsPerCpuSecond).toFixed(2)} µs per event`,
      vsBare: DASH,
      target: "≥ 200,000",
      ok: fixture.eventsPerCpuSecond >= 200_000,
    });
    rows.push({
      measurement: "Translator with max_tokens 4,096 (o200k limiter): backend events/s",
      direct: DASH,
      bare: DASH,
      relay: `${fmtInt(usualFixture.eventsPerCpuSecond)} (recorded web-search stream) · ${fmtInt(usual500.eventsPerCpuSecond)} (fake 500-word answer)`,
      vsDirect: `${(1e6 / usualFixture.eventsPerCpuSecond).toFixed(2)} µs per event`,
      vsBare: `worst case, max_tokens = the answer's length (every token counted): ${fmtInt(tightFixture.eventsPerCpuSecond)} · ${fmtInt(tight500.eventsPerCpuSecond)}`,
      target: "≥ 200,000",
      ok: usualFixture.eventsPerCpuSecond >= 200_000,
    });
    const long = measureLongLine(longLineInput(20), 3);
    rows.push({
      measurement: "Translator, one 20 MB delta (4 lines of 20 MB): ms per stream",
      direct: DASH,
      bare: DASH,
      relay: `${fmtInt(long.msPerStream)} ms (${fmtInt(long.mbPerSecond)} MB/s of SSE)`,
      vsDirect: DASH,
      vsBare: DASH,
      target: "≥ 40 MB/s",
      ok: long.mbPerSecond >= 40,
    });
    notes.push(
      `Translator row: events per second of CPU time of this process (wall clock: ${fmtInt(fixture.eventsPerSecond)} and ${fmtInt(fake500.eventsPerSecond)} events/s); ` +
        `the recorded stream is ${fixture.events} events (121 text deltas, web-search items, annotations), replayed ${fmtInt(fixture.streams)} times in 8 KB reads.`,
    );
  }

  if (!CELLS.slice(1).some(wanted)) return finish(started, undefined);

  const profileDir = args.profile ? mkdtempSync(join(tmpdir(), "codex-relay-prof-")) : undefined;
  log("starting the fake backend, the bare proxy and the relay…");
  const fake = await startFake();
  const bare = await startBareProxy(fake.ready);
  const relay = await startRelay(fake.ready, profileDir);
  const b: Bench = {
    pids: { fake: fake.child.pid!, bare: bare.child.pid!, relay: relay.child.pid! },
    targets: {
      direct: new HttpTarget(fake.ready.url),
      bare: new HttpTarget(bare.url),
      relay: new HttpTarget(relay.url),
    },
  };

  try {
    const directShort = directFor(fake.ready, SHORT);
    const directLong = directFor(fake.ready, LONG);
    await verify(b.targets.direct, directShort, checks.directSse(20), "direct, short answer");
    await verify(b.targets.direct, directLong, checks.directSse(500), "direct, 500-word answer");
    await verify(b.targets.bare, directLong, checks.directSse(500), "bare proxy, 500-word answer");
    await verify(b.targets.relay, relayChat(SHORT, false), checks.chatJson(20), "relay chat, non-stream");
    await verify(b.targets.relay, relayChat(LONG, true), checks.chatSse(500), "relay chat, stream");

    // Memory first, while the servers' heaps have only seen a warm-up.
    if (wanted("memory")) {
      log(`memory: ${STREAMS} open streams through the bare proxy, then through the relay…`);
      const bareMem = await memoryUnder(
        bare.child,
        b.targets.bare,
        async () => {
          await b.targets.bare.closedLoop(directShort, 8, 1000);
          await b.targets.bare.closedLoop(directLong, 8, 500);
        },
        directFor(fake.ready, SLOW),
      );
      const relayMem = await memoryUnder(
        relay.child,
        b.targets.relay,
        async () => {
          await b.targets.relay.closedLoop(relayChat(SHORT, false), 8, 1000);
          await b.targets.relay.closedLoop(relayChat(LONG, true), 8, 500);
        },
        relayChat(SLOW, true),
      );
      rows.push({
        measurement: `Memory: resident memory per open stream, ${fmtInt(STREAMS)} streams`,
        direct: DASH,
        bare: memCell(bareMem),
        relay: memCell(relayMem),
        vsDirect: DASH,
        vsBare: `${signed(perStreamKb(relayMem) - perStreamKb(bareMem))} KB/stream (heap ${signed(heapPerStreamKb(relayMem) - heapPerStreamKb(bareMem))} KB)`,
        target: "< 64 KB",
        ok: perStreamKb(relayMem) < 64,
      });
      notes.push(
        `Memory row: streams opened 100 at a time (${fmtInt(relayMem.openedMs)} ms for the relay), each receiving one word every ${SLOW.delayMs} ms; ` +
          `RSS is VmRSS from /proc/<pid>/status, idle and with the streams open, each read after a forced GC (--expose-gc); ` +
          `1.5 s after the streams were closed the relay was back at ${mb(relayMem.afterRss)} RSS, ${mb(relayMem.afterHeap)} heap.`,
      );
    }

    if (wanted("chat-c1")) {
      log("non-stream chat, c=1…");
      rateRows(
        "Non-stream chat",
        await compare(b, { direct: directShort, bare: directShort, relay: relayChat(SHORT, false) }, 1),
        1,
      );
    }
    if (wanted("chat-c64")) {
      log("non-stream chat, c=64…");
      rateRows(
        "Non-stream chat",
        await compare(b, { direct: directShort, bare: directShort, relay: relayChat(SHORT, false) }, 64),
        64,
      );
    }
    if (wanted("chat-stream")) {
      log("stream chat, 500 words…");
      streamRows(
        "Stream chat, 500 words, c=1",
        await compare(b, { direct: directLong, bare: directLong, relay: relayChat(LONG, true) }, 1),
      );
    }

    // Endpoints written by teammates: measured when they answer correctly, else a note.
    const optional: { id: string; label: string; probe: [RequestSpec, Check]; run: () => Promise<void> }[] = [
      {
        id: "ollama-stream",
        label: "Ollama /api/chat NDJSON stream",
        probe: [relayOllama(LONG, true), checks.ollamaNdjson(500)],
        run: async () =>
          streamRows(
            "Ollama /api/chat NDJSON, 500 words, c=1",
            await compare(b, { direct: directLong, relay: relayOllama(LONG, true) }, 1),
          ),
      },
      {
        id: "ollama-c64",
        label: "Ollama /api/chat non-stream",
        probe: [relayOllama(SHORT, false), checks.ollamaJson(20)],
        run: async () =>
          rateRows(
            "Ollama /api/chat non-stream",
            await compare(b, { direct: directShort, relay: relayOllama(SHORT, false) }, 64),
            64,
          ),
      },
      {
        id: "responses-stream",
        label: "/v1/responses stream",
        probe: [relayResponses(LONG, true), checks.responsesSse(500)],
        run: async () =>
          streamRows(
            "/v1/responses stream, 500 words, c=1",
            await compare(b, { direct: directLong, relay: relayResponses(LONG, true) }, 1),
          ),
      },
      {
        id: "responses-c64",
        label: "/v1/responses non-stream",
        probe: [relayResponses(SHORT, false), checks.responsesJson(20)],
        run: async () =>
          rateRows(
            "/v1/responses non-stream",
            await compare(b, { direct: directShort, relay: relayResponses(SHORT, false) }, 64),
            64,
          ),
      },
    ];
    if (wanted("agent")) {
      const sides = await runAgentBench({
        turns: AGENT_TURNS,
        repetitions: AGENT_CONVERSATIONS,
        rttMs: 40,
        uplinkBitsPerSecond: 10_000_000,
        root: ROOT,
        log,
        startFake: async (link) => {
          const f = await startFake({
            BENCH_AGENT: "1",
            BENCH_LINK_RTT_MS: String(link.rttMs),
            BENCH_LINK_UPLINK_BPS: String(link.uplinkBitsPerSecond),
          });
          return {
            ready: f.ready,
            lastRequest: () =>
              new Promise<LastRequest>((resolve) => {
                f.child.once("message", (m) => resolve(m as LastRequest));
                f.child.send({ type: "last-request" });
              }),
            stop: () => stopChild(f.child),
          };
        },
        startRelay: async (env) => {
          // With --profile each transport's relay writes its own profile (summarised after the table).
          const dir = profileDir && join(profileDir, `agent-${env.UPSTREAM_TRANSPORT ?? "default"}`);
          if (dir) mkdirSync(dir, { recursive: true });
          const r = await startRelay(fake.ready, dir, env);
          return { url: r.url, cpuMs: () => processCpuMs(r.child.pid!), stop: () => stopChild(r.child) };
        },
        startBareWsProxy: async (ready) => {
          const r = await startBareWsProxy(ready);
          return { url: r.url, cpuMs: () => processCpuMs(r.child.pid!), stop: () => stopChild(r.child) };
        },
      });
      agentTable(sides);
    }
    for (const o of optional) {
      if (!wanted(o.id)) continue;
      try {
        await verify(b.targets.relay, o.probe[0], o.probe[1], o.label);
      } catch (err) {
        notes.push(
          `TODO ${o.label}: not measured, the endpoint does not answer correctly yet (${(err as Error).message.slice(0, 160)}).`,
        );
        continue;
      }
      log(`${o.label}…`);
      await o.run();
    }
  } finally {
    await stopChild(relay.child);
    await stopChild(bare.child);
    await stopChild(fake.child);
  }
  finish(started, profileDir);
}

// ── the agent conversation ───────────────────────────────────────────────────────────────────────────────────

const AGENT_TURNS = 30;
const agentLines: string[] = [];

/** The agent-conversation table: bytes up and time to first byte at turns 1, 10 and 30, with the goals. */
function agentTable(sides: AgentSide[]): void {
  const [http, ws, bare, cli, direct] = sides as [AgentSide, AgentSide, AgentSide, AgentSide, AgentSide];
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  const header = [
    "Turn",
    "History (JSON)",
    "Relay over HTTP: up / TTFB",
    "Relay over WebSocket: up / TTFB",
    "Bare WebSocket proxy: TTFB",
    "Codex CLI → relay (WebSocket): up / TTFB",
    "Direct WebSocket: up / TTFB",
    "WS up vs HTTP up",
    "WS TTFB vs direct",
    "bare proxy vs direct",
    "Codex CLI → relay vs direct",
  ];
  const lines = [header, header.map(() => "---")];
  for (const turn of [1, 10, AGENT_TURNS]) {
    const h = http.turns[turn - 1]!;
    const w = ws.turns[turn - 1]!;
    const b = bare.turns[turn - 1]!;
    const x = cli.turns[turn - 1]!;
    const d = direct.turns[turn - 1]!;
    const share = w.wireBytes / h.wireBytes;
    const added = w.ttfbMs - d.ttfbMs;
    const last = turn === AGENT_TURNS;
    lines.push([
      String(turn),
      kb(h.jsonBytes),
      `${kb(h.wireBytes)} / ${fmtMs(h.ttfbMs)} ms`,
      `${kb(w.wireBytes)} / ${fmtMs(w.ttfbMs)} ms`,
      `${fmtMs(b.ttfbMs)} ms`,
      `${kb(x.wireBytes)} / ${fmtMs(x.ttfbMs)} ms`,
      `${kb(d.wireBytes)} / ${fmtMs(d.ttfbMs)} ms`,
      `${(share * 100).toFixed(1)} %${last ? ` (goal < 10 %) ${mark(share < 0.1)}` : ""}`,
      `${signedMs(added)}${last ? ` (goal ≤ 5 ms) ${mark(added <= 5)}` : ""}`,
      signedMs(b.ttfbMs - d.ttfbMs),
      signedMs(x.ttfbMs - d.ttfbMs),
    ]);
  }
  const total = (s: AgentSide) => s.turns.reduce((n, t) => n + t.wireBytes, 0);
  const cpu = (s: AgentSide) => (s.relayCpuMsPerTurn === undefined ? "" : `${fmtMs(s.relayCpuMsPerTurn)} ms`);
  lines.push(["relay CPU per turn", "", cpu(http), cpu(ws), cpu(bare), cpu(cli), "", "", "", "", ""]);
  lines.push([
    `all ${AGENT_TURNS}`,
    "",
    kb(total(http)),
    kb(total(ws)),
    "",
    kb(total(cli)),
    kb(total(direct)),
    `${((total(ws) / total(http)) * 100).toFixed(1)} %`,
    "",
    "",
    "",
  ]);
  agentLines.push(
    "",
    `Agent conversation, ${AGENT_TURNS} turns with tool calls, simulated link 40 ms round trip and 10 Mbit/s uplink (median of ${AGENT_CONVERSATIONS} conversations per side):`,
    "",
    ...lines.map((l) => `| ${l.join(" | ")} |`),
  );
  notes.push(
    "Agent rows: \"up\" is what crossed the simulated uplink for the turn's request (the zstd body over HTTP; the frame with permessage-deflate over WebSocket); TTFB is until the answer's tool call starts; \"relay CPU per turn\" is the relay process's CPU time (all threads, /proc) over a conversation divided by its turns. The relay's uplink to the fake is the simulated one; the client's loopback hop to the relay is not slowed. The bare WebSocket proxy (bench/bare-ws-proxy.ts) is the least a Node gateway can do for the same chat client: read and parse the body, send the new tool result with previous_response_id, write the backend's frames back. \"Codex CLI → relay\" is a client that talks to the relay's WebSocket (/v1/responses) the way the official CLI does, new items only.",
  );
}

function finish(started: number, profileDir: string | undefined): void {
  printTable();
  for (const l of agentLines) console.log(l);
  console.log("");
  console.log(
    `${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}, ` +
      `${(totalmem() / 2 ** 30).toFixed(1)} GiB; load average ${loadavg()[0]!.toFixed(2)} at the end.`,
  );
  console.log(
    `Loopback; the fake backend, the bare proxy, the relay and the load generator (this process: node:http keep-alive, closed loop) share ${cpus().length} cores. ` +
      `${ROUNDS} rounds of ${ROUND_MS} ms per side and cell, in rotating order. ` +
      `Other processes on the machine used up to ${maxOtherCores.toFixed(2)} cores on average during a cell's rounds.`,
  );
  for (const n of notes) console.log(`- ${n}`);
  if (profileDir) {
    // The largest profile is the relay's main thread's (a loader or worker thread may write another).
    const files = readdirSync(profileDir)
      .filter((f) => f.endsWith(".cpuprofile"))
      .map((f) => join(profileDir, f))
      .sort((x, y) => statSync(y).size - statSync(x).size);
    if (files[0]) console.log("\n" + summarizeProfile(files[0], 30));
    else console.log(`- no CPU profile was written in ${profileDir}`);
    for (const dir of readdirSync(profileDir).filter((d) => d.startsWith("agent-"))) {
      const agentFiles = readdirSync(join(profileDir, dir))
        .filter((f) => f.endsWith(".cpuprofile"))
        .map((f) => join(profileDir, dir, f))
        .sort((x, y) => statSync(y).size - statSync(x).size);
      if (agentFiles[0]) console.log(`\n${dir}: ` + summarizeProfile(agentFiles[0], 30));
    }
  }
  log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

process.on("SIGINT", () => {
  for (const c of children) c.kill("SIGTERM");
  process.exit(130);
});

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`bench: failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    for (const c of children) c.kill("SIGTERM");
    process.exit(1);
  },
);
