// The agent-conversation cell of `npm run bench`: a 30-turn conversation in which every turn is a tool call whose
// result (about 6.5 KB of this repository's source) goes back into the history, so the history grows to ~200 KB.
// The fake backend runs in its own process (bench/fake-process.ts, as a real backend is not in the client's process)
// behind a simulated link (40 ms round trip, 10 Mbit/s uplink, see test/fakes/simulated-link.ts), so upload time
// is real. Three sides, one after the other:
//   relay over HTTP       a chat-completions client → the relay (UPSTREAM_TRANSPORT=http, zstd bodies) → the fake
//   relay over WebSocket  the same client → the relay (UPSTREAM_TRANSPORT=websocket) → the fake
//   bare WebSocket proxy  the same client → bench/bare-ws-proxy.ts (the least a Node gateway can do) → the fake
//   Codex CLI → relay     a client like the official CLI → the relay's WebSocket (/v1/responses) → the fake
//   direct WebSocket      this process talks to the fake's WebSocket the way the official CLI does (new items only)
// Per turn: the bytes that crossed the uplink for that turn (what the fake read off its socket for the request:
// the compressed HTTP body, or the WebSocket frame with permessage-deflate) and the time to first byte (until the
// answer's tool call starts: the relay's first tool_calls chunk, the direct side's function_call item).

import http from "node:http";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import WebSocket from "ws";
import { parseChatRequest } from "../src/openai/chat-request-schema.ts";
import { deriveConversationKey, toResponsesRequest } from "../src/openai/to-responses-request.ts";
import { deflateInline, inflateInline } from "../src/upstream/inline-permessage-deflate.ts";
import { defaultModels } from "../test/fakes/models.ts";
import type { FakeReady, LastRequest } from "./fake-process.ts";

export interface TurnSample {
  /** Bytes over the uplink for this turn's request. */
  wireBytes: number;
  /** The request's JSON size before any compression. */
  jsonBytes: number;
  ttfbMs: number;
}

export interface AgentSide {
  name: string;
  /** Per turn, the median over the repetitions. */
  turns: TurnSample[];
  /** The relay's CPU time (all its threads) per turn, median over the conversations; absent for the direct side. */
  relayCpuMsPerTurn?: number;
}

/** The fake backend's process, behind the simulated link, answering every turn with a tool call. */
export interface AgentFake {
  ready: FakeReady;
  /** The size of the last request the fake read (asked after the turn, outside what is timed). */
  lastRequest(): Promise<LastRequest>;
  stop(): Promise<void>;
}

export interface AgentBenchOptions {
  turns: number;
  repetitions: number;
  rttMs: number;
  uplinkBitsPerSecond: number;
  /** Starts the fake backend's process behind a link of `rttMs` and `uplinkBitsPerSecond`. */
  startFake(link: { rttMs: number; uplinkBitsPerSecond: number }): Promise<AgentFake>;
  /** Starts a relay (as `npm start` runs it) with these extra variables; returns its URL and a stop. */
  startRelay(env: Record<string, string>): Promise<RunningProxy>;
  /** Starts bench/bare-ws-proxy.ts in front of the fake. */
  startBareWsProxy(ready: FakeReady): Promise<RunningProxy>;
  root: string;
  log(msg: string): void;
}

export interface RunningProxy {
  url: string;
  /** Its process's CPU time so far (all threads). */
  cpuMs(): number;
  stop(): Promise<void>;
}

const MODEL = "gpt-5.4";
const TOOL_RESULT_CHARS = 6500;

type Message = Record<string, unknown>;

const TOOLS = [
  {
    type: "function",
    function: {
      name: "read_file",
      description: "Reads a file of the repository and returns its text.",
      parameters: { type: "object", properties: { path: { type: "string" } }, required: ["path"] },
    },
  },
  {
    type: "function",
    function: {
      name: "run_tests",
      description: "Runs the test suite and returns its output.",
      parameters: { type: "object", properties: { filter: { type: "string" } } },
    },
  },
];

/** Tool results: consecutive slices of the repository's own sources (realistic, compressible like code is). */
function sourceText(root: string, chars: number): string {
  let text = "";
  const walk = (dir: string) => {
    for (const name of readdirSync(dir, { withFileTypes: true })) {
      if (text.length >= chars) return;
      const path = join(dir, name.name);
      if (name.isDirectory()) walk(path);
      else if (name.name.endsWith(".ts")) text += readFileSync(path, "utf8");
    }
  };
  walk(join(root, "src"));
  return text.slice(0, chars);
}

export async function runAgentBench(o: AgentBenchOptions): Promise<AgentSide[]> {
  const fake = await o.startFake({ rttMs: o.rttMs, uplinkBitsPerSecond: o.uplinkBitsPerSecond });
  const sources = sourceText(o.root, TOOL_RESULT_CHARS * o.turns);
  const results = (turn: number) => sources.slice(turn * TOOL_RESULT_CHARS, (turn + 1) * TOOL_RESULT_CHARS);
  const sides: AgentSide[] = [];
  try {
    for (const [name, transport, client] of [
      ["relay over HTTP", "http", "chat"],
      ["relay over WebSocket", "websocket", "chat"],
      ["bare WebSocket proxy", "bare", "chat"],
      ["Codex CLI → relay over WebSocket", "websocket", "websocket"],
    ] as const) {
      o.log(`agent conversation: ${name}…`);
      const relay =
        transport === "bare"
          ? await o.startBareWsProxy(fake.ready)
          : await o.startRelay({ ...fake.ready.env, UPSTREAM_TRANSPORT: transport });
      try {
        const reps: TurnSample[][] = [];
        const cpu: number[] = [];
        // A Codex CLI-like client talks WebSocket to the relay's /v1/responses, with the relay's own credentials.
        const relaySocket = { url: `${relay.url.replace(/^http/, "ws")}/v1/responses`, headers: {} };
        for (let r = 0; r < o.repetitions; r++) {
          const before = relay.cpuMs();
          reps.push(
            client === "chat"
              ? await relayConversation(relay.url, fake, o, results, r)
              : await socketConversation(relaySocket, fake, o, results, r),
          );
          cpu.push((relay.cpuMs() - before) / o.turns);
        }
        sides.push({ name, turns: medianTurns(reps), relayCpuMsPerTurn: median(cpu) });
      } finally {
        await relay.stop();
      }
    }
    o.log("agent conversation: direct WebSocket…");
    const reps: TurnSample[][] = [];
    const direct = {
      url: fake.ready.responsesWebSocketUrl,
      headers: {
        authorization: `Bearer ${fake.ready.accessToken}`,
        "chatgpt-account-id": fake.ready.accountId,
        "openai-beta": "responses_websockets=2026-02-06",
        originator: "codex_cli_rs",
      },
    };
    for (let r = 0; r < o.repetitions; r++) reps.push(await socketConversation(direct, fake, o, results, r));
    sides.push({ name: "direct WebSocket", turns: medianTurns(reps) });
  } finally {
    await fake.stop();
  }
  return sides;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function medianTurns(reps: TurnSample[][]): TurnSample[] {
  return reps[0]!.map((_, i) => ({
    wireBytes: median(reps.map((r) => r[i]!.wireBytes)),
    jsonBytes: median(reps.map((r) => r[i]!.jsonBytes)),
    ttfbMs: median(reps.map((r) => r[i]!.ttfbMs)),
  }));
}

function firstMessages(rep: number): Message[] {
  return [
    {
      role: "system",
      content: "You are a coding agent. Use the tools to read the code before you change it.",
    },
    {
      role: "user",
      content: `Review the project and list what to improve (conversation ${rep}, ${Date.now()}).`,
    },
  ];
}

/** The turns of one conversation through the relay's chat completions, streamed. */
async function relayConversation(
  url: string,
  fake: AgentFake,
  o: AgentBenchOptions,
  results: (turn: number) => string,
  rep: number,
): Promise<TurnSample[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const messages = firstMessages(rep);
  const out: TurnSample[] = [];
  try {
    for (let turn = 0; turn < o.turns; turn++) {
      const { ttfbMs, call } = await chatTurn(url, agent, messages);
      const sent = await fake.lastRequest();
      out.push({ wireBytes: sent.wireBytes, jsonBytes: sent.bytes, ttfbMs });
      messages.push({
        role: "assistant",
        content: "Reading the next file.",
        tool_calls: [
          { id: call.id, type: "function", function: { name: call.name, arguments: call.arguments } },
        ],
      });
      messages.push({ role: "tool", tool_call_id: call.id, content: results(turn) });
    }
  } finally {
    agent.destroy();
  }
  return out;
}

interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

function chatTurn(
  url: string,
  agent: http.Agent,
  messages: Message[],
): Promise<{ ttfbMs: number; call: ToolCall }> {
  const body = JSON.stringify({ model: MODEL, stream: true, messages, tools: TOOLS });
  const u = new URL(`${url}/v1/chat/completions`);
  return new Promise((resolve, reject) => {
    const start = performance.now();
    let ttfbMs = -1;
    let text = "";
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: "POST",
        agent,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          if (ttfbMs < 0 && chunk.includes('"tool_calls"')) ttfbMs = performance.now() - start;
          text += chunk;
        });
        res.on("end", () => {
          if (res.statusCode !== 200)
            return reject(new Error(`relay answered ${res.statusCode}: ${text.slice(0, 300)}`));
          const call: ToolCall = { id: "", name: "", arguments: "" };
          for (const line of text.split("\n")) {
            if (!line.startsWith("data: {")) continue;
            const chunk = JSON.parse(line.slice(6)) as {
              choices?: {
                delta?: { tool_calls?: { id?: string; function?: { name?: string; arguments?: string } }[] };
              }[];
            };
            for (const tc of chunk.choices?.[0]?.delta?.tool_calls ?? []) {
              if (tc.id) call.id = tc.id;
              if (tc.function?.name) call.name = tc.function.name;
              if (tc.function?.arguments) call.arguments += tc.function.arguments;
            }
          }
          if (!call.id) return reject(new Error(`no tool call in the relay's answer: ${text.slice(0, 300)}`));
          resolve({ ttfbMs, call });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/**
 * The same conversation sent the way the official CLI does: one WebSocket, new items with previous_response_id; to
 * the fake (the direct side) or to the relay's /v1/responses.
 */
async function socketConversation(
  target: { url: string; headers: Record<string, string> },
  fake: AgentFake,
  o: AgentBenchOptions,
  results: (turn: number) => string,
  rep: number,
): Promise<TurnSample[]> {
  const req = parseChatRequest({ model: MODEL, stream: true, messages: firstMessages(rep), tools: TOOLS });
  const entry = defaultModels().find((m) => m.slug === MODEL);
  const body = toResponsesRequest(req, {
    model: MODEL,
    defaults: { effort: "medium", summary: "auto" },
    instructions: String(entry?.base_instructions ?? ""),
    instructionsMode: "developer",
    promptCacheKey: deriveConversationKey(req),
  });
  const { input, ...settings } = body;
  const ws = await openInlineSocket(target.url, target.headers);
  const out: TurnSample[] = [];
  try {
    let frame = JSON.stringify({ type: "response.create", ...settings, input });
    for (let turn = 0; turn < o.turns; turn++) {
      const { ttfbMs, callId, responseId } = await wsTurn(ws, frame);
      const sent = await fake.lastRequest();
      out.push({ wireBytes: sent.wireBytes, jsonBytes: sent.bytes, ttfbMs });
      frame = JSON.stringify({
        type: "response.create",
        ...settings,
        input: [{ type: "function_call_output", call_id: callId, output: results(turn) }],
        previous_response_id: responseId,
      });
    }
  } finally {
    ws.close();
  }
  return out;
}

/**
 * A WebSocket whose frames are deflated and inflated on the event loop, as the official (Rust) client and the relay
 * do (inline-permessage-deflate.ts); resolves once open.
 */
export async function openInlineSocket(url: string, headers: Record<string, string>): Promise<WebSocket> {
  const ws = new WebSocket(url, { headers, perMessageDeflate: true });
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => {
      inflateInline(ws, 0);
      deflateInline(ws, "client");
      resolve();
    });
    ws.once("error", reject);
  });
  return ws;
}

function wsTurn(
  ws: WebSocket,
  frame: string,
): Promise<{ ttfbMs: number; callId: string; responseId: string }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    let ttfbMs = -1;
    let callId = "";
    let responseId = "";
    const onMessage = (data: WebSocket.RawData) => {
      const e = JSON.parse(data.toString()) as {
        type: string;
        item?: { type?: string; call_id?: string };
        response?: { id?: string };
      };
      if (e.type === "response.created") responseId = e.response?.id ?? "";
      if (e.type === "response.output_item.added" && e.item?.type === "function_call") {
        if (ttfbMs < 0) ttfbMs = performance.now() - start;
        callId = e.item.call_id ?? "";
      }
      if (e.type === "error") {
        ws.off("message", onMessage);
        reject(new Error(`the fake answered ${data.toString().slice(0, 300)}`));
      }
      if (e.type === "response.completed") {
        ws.off("message", onMessage);
        resolve({ ttfbMs, callId, responseId });
      }
    };
    ws.on("message", onMessage);
    ws.send(frame);
  });
}
