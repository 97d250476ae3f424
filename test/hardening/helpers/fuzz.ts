// Request-body fuzzing for the in-process relay: bodies made by mutating valid templates (delete, replace, insert,
// wrap, stringify, duplicate at a random place), arbitrary JSON, random text and random bytes, plus a checker that
// asserts what must hold for every one of them.

import fc from "fast-check";
import { modelNotSupported } from "../../fakes/fake-chatgpt.ts";
import type { InProcessRelay } from "./in-process.ts";
import { errorMessage, ndjson, sseData, type Dialect } from "./http.ts";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** JSON text that JSON.parse turns into an object with an own `__proto__` key (a literal would set the prototype). */
const PROTO_BOMB = JSON.parse(
  '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}',
) as Json;

const INTERESTING: Json[] = [
  null,
  "",
  " ",
  0,
  -1,
  1.5,
  2 ** 53,
  -(2 ** 31),
  1e308,
  -1e-308,
  true,
  false,
  [],
  {},
  "x".repeat(5000),
  "\u0000",
  "\ud800",
  "\u202e\u0007",
  "gpt-5.5",
  "gpt-5.5-high",
  "gpt-5.5:latest",
  "user",
  "assistant",
  "tool",
  "system",
  "function",
  "image_url",
  "input_text",
  "json_schema",
  "data:image/png;base64,iVBORw0KGgo=",
  "not base64 !!",
  PROTO_BOMB,
  [null],
  [[[]]],
  { type: "function" },
  { type: "text", text: "t" },
];

const SPECIAL_KEYS = ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "valueOf", ""];

export function valueArb(): fc.Arbitrary<Json> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...INTERESTING) },
    { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json> },
    { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  );
}

interface Mutation {
  pick: number;
  op: "delete" | "replace" | "insert" | "wrap" | "stringify" | "dup";
  key: string;
  value: Json;
}

function mutationArb(keys: string[]): fc.Arbitrary<Mutation> {
  return fc.record({
    pick: fc.nat(),
    op: fc.constantFrom("delete", "replace", "replace", "insert", "wrap", "stringify", "dup"),
    key: fc.oneof(fc.constantFrom(...keys, ...SPECIAL_KEYS), fc.string({ maxLength: 12 })),
    value: valueArb(),
  });
}

interface Slot {
  parent: Json[] | { [key: string]: Json } | null;
  key: string | number;
  value: Json;
}

function slots(root: Json): Slot[] {
  const out: Slot[] = [{ parent: null, key: "", value: root }];
  for (let i = 0; i < out.length; i++) {
    const v = out[i]!.value;
    if (Array.isArray(v)) v.forEach((child, k) => out.push({ parent: v, key: k, value: child }));
    else if (v !== null && typeof v === "object")
      for (const k of Object.keys(v)) out.push({ parent: v, key: k, value: v[k]! });
  }
  return out;
}

function setOwn(target: Slot["parent"], key: string | number, value: Json): void {
  if (Array.isArray(target)) target[key as number] = value;
  else if (target)
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

export function applyMutations(template: Json, mutations: Mutation[]): Json {
  let root = structuredClone(template);
  for (const mutation of mutations) {
    // Generated values may be shared between runs (constants): never put the generator's own objects in the tree.
    const m = { ...mutation, value: structuredClone(mutation.value) };
    const all = slots(root);
    const s = all[m.pick % all.length]!;
    const replaceWith = (v: Json) => (s.parent === null ? (root = v) : setOwn(s.parent, s.key, v));
    switch (m.op) {
      case "delete":
        if (Array.isArray(s.parent)) s.parent.splice(s.key as number, 1);
        else if (s.parent) delete s.parent[s.key as string];
        break;
      case "replace":
        replaceWith(m.value);
        break;
      case "insert":
        if (Array.isArray(s.value)) s.value.push(m.value);
        else if (s.value !== null && typeof s.value === "object") setOwn(s.value, m.key, m.value);
        else replaceWith({ [m.key]: m.value });
        break;
      case "wrap":
        replaceWith(m.pick % 2 === 0 ? [s.value] : { [m.key]: s.value });
        break;
      case "stringify":
        replaceWith(JSON.stringify(s.value) ?? "");
        break;
      case "dup":
        if (Array.isArray(s.parent)) s.parent.push(structuredClone(s.value));
        else if (Array.isArray(s.value)) s.value.push(...structuredClone(s.value));
        break;
    }
  }
  return root;
}

export interface FuzzCase {
  kind: "mutated" | "json" | "text" | "bytes" | "truncated";
  body: string | Uint8Array<ArrayBuffer>;
  headers: Record<string, string>;
}

/** Bodies for one endpoint, from its valid templates and the keys it knows. */
export function bodyArb(templates: Json[], keys: string[]): fc.Arbitrary<FuzzCase> {
  const headers = fc.record(
    {
      "content-type": fc.constantFrom("application/json", "text/plain", "application/x-www-form-urlencoded"),
      "x-reasoning-compat": fc.oneof(
        fc.constantFrom("o3", "hidden", "legacy", "nope"),
        fc.string({ maxLength: 10 }),
      ),
      "x-session-id": fc.string({ maxLength: 20 }),
    },
    { requiredKeys: [] },
  );
  const mutated = fc
    .tuple(fc.constantFrom(...templates), fc.array(mutationArb(keys), { minLength: 0, maxLength: 4 }))
    .map(([t, ms]) => ({ kind: "mutated" as const, body: JSON.stringify(applyMutations(t, ms)) }));
  const json = fc.jsonValue({ maxDepth: 4 }).map((v) => ({ kind: "json" as const, body: JSON.stringify(v) }));
  const text = fc.string({ unit: "binary", maxLength: 200 }).map((s) => ({ kind: "text" as const, body: s }));
  const bytes = fc
    .uint8Array({ maxLength: 200 })
    .map((b) => ({ kind: "bytes" as const, body: new Uint8Array(b) }));
  const truncated = fc.tuple(fc.constantFrom(...templates), fc.nat()).map(([t, n]) => {
    const s = JSON.stringify(t);
    return { kind: "truncated" as const, body: s.slice(0, n % s.length) };
  });
  return fc
    .tuple(
      fc.oneof(
        { weight: 12, arbitrary: mutated },
        { weight: 2, arbitrary: json },
        { weight: 1, arbitrary: text },
        { weight: 1, arbitrary: bytes },
        { weight: 1, arbitrary: truncated },
      ),
      headers,
    )
    .map(([b, h]) => ({ ...b, headers: h }));
}

export interface FuzzStats {
  runs: number;
  byStatus: Record<string, number>;
  byKind: Record<string, number>;
  backendCalls: number;
  /** Bodies the backend would refuse that the relay passed on (allowed only where the dialect is a pass-through). */
  passedThroughInvalid: number;
  /** The backend's reasons for those, counted. */
  passThroughReasons: Record<string, number>;
}

export function newStats(): FuzzStats {
  return {
    runs: 0,
    byStatus: {},
    byKind: {},
    backendCalls: 0,
    passedThroughInvalid: 0,
    passThroughReasons: {},
  };
}

export interface CheckOptions {
  path: string;
  dialect: Dialect;
  /** /v1/responses forwards the client's fields as they are: the backend's own 400 is a fair answer there. */
  passThrough?: boolean;
}

/** Sends one case in-process and asserts every invariant; throws (with the body) when one does not hold. */
export async function checkCase(
  r: InProcessRelay,
  c: FuzzCase,
  o: CheckOptions,
  stats: FuzzStats,
): Promise<void> {
  const callsBefore = r.calls.length; // 0: cleared after every case
  const res = await r.request(o.path, { method: "POST", headers: c.headers, body: c.body });
  const text = await res.text();
  const calls = r.calls.slice(callsBefore);
  r.calls.length = 0; // nothing older is needed: keep the heap flat over 10,000 runs
  stats.runs++;
  stats.byStatus[res.status] = (stats.byStatus[res.status] ?? 0) + 1;
  stats.byKind[c.kind] = (stats.byKind[c.kind] ?? 0) + 1;
  stats.backendCalls += calls.length;
  const fail = (why: string) => {
    const shown = typeof c.body === "string" ? c.body : `bytes ${Buffer.from(c.body).toString("hex")}`;
    throw new Error(
      `${why}\n  status ${res.status}\n  body sent: ${shown.slice(0, 1500)}\n  answer: ${text.slice(0, 800)}`,
    );
  };

  if (res.status >= 500) fail("a client's body produced a 5xx");
  for (const call of calls) {
    if (call.invalid === null) continue;
    const unknownModel = call.invalid === modelNotSupported(String((call.body as { model?: unknown }).model));
    if (unknownModel) continue; // unknown model names pass through by design; the backend's message comes back
    if (!o.passThrough) fail(`the relay sent the backend a body it refuses: ${call.invalid}`);
    stats.passedThroughInvalid++;
    const reason = call.invalid.replace(/\[\d+\]/g, "[n]").slice(0, 80);
    stats.passThroughReasons[reason] = (stats.passThroughReasons[reason] ?? 0) + 1;
  }

  const type = res.headers.get("content-type") ?? "";
  if (res.status >= 400) {
    if (!type.includes("application/json")) fail(`an error answered as ${type}`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      fail("an error body that is not JSON");
    }
    try {
      errorMessage(o.dialect, parsed);
    } catch (err) {
      fail((err as Error).message);
    }
    if (
      calls.length > 0 &&
      calls.every((k) => k.invalid === null) &&
      res.status !== 400 &&
      res.status !== 404
    )
      fail("a 4xx after the backend accepted the request");
    return;
  }
  if (res.status !== 200) fail(`unexpected status ${res.status}`);
  if (type.includes("text/event-stream")) {
    const data = sseData(text);
    if (o.path === "/v1/responses") {
      const last = JSON.parse(data.at(-1) ?? "{}") as { type?: string };
      if (last.type !== "response.completed" && last.type !== "response.incomplete")
        fail(`a stream that did not complete: ${last.type}`);
    } else {
      if (data.at(-1) !== "[DONE]") fail("an SSE stream without [DONE]");
      for (const d of data.slice(0, -1))
        if ((JSON.parse(d) as { error?: unknown }).error) fail("an error chunk");
    }
  } else if (type.includes("ndjson")) {
    const lines = ndjson(text) as { done?: boolean; error?: unknown }[];
    if (lines.at(-1)?.done !== true || lines.some((l) => l.error !== undefined))
      fail("an NDJSON stream that did not finish");
  } else {
    const parsed = JSON.parse(text) as { error?: unknown };
    if (parsed.error !== undefined && parsed.error !== null) fail("a 200 carrying an error");
  }
}

/** Records unhandled rejections for the duration of a suite. */
export function watchUnhandled(): { errors: unknown[]; stop(): void } {
  const errors: unknown[] = [];
  const onRejection = (reason: unknown) => errors.push(reason);
  const onException = (err: unknown) => errors.push(err);
  process.on("unhandledRejection", onRejection);
  process.on("uncaughtException", onException);
  return {
    errors,
    stop() {
      process.off("unhandledRejection", onRejection);
      process.off("uncaughtException", onException);
    },
  };
}

export function assertNoPrototypePollution(): void {
  const probe = {} as Record<string, unknown>;
  if (probe.polluted !== undefined || Object.prototype.hasOwnProperty.call(Object.prototype, "polluted"))
    throw new Error("Object.prototype was polluted by a request body");
}
