// The README and docs say what the code does: the configuration table lists exactly the variables src/config.ts
// reads, every relative link and #anchor resolves, the examples can run as written (no placeholder ids; the tool
// example makes the fake backend call the tool), and a new user finds the benchmark.
//
// The config check parses both sides, so a variable added to src/config.ts together with its README row passes
// untouched; one added on one side only fails, naming it.

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestRelay, type TestRelay } from "../helpers/relay.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");
const README = read("README.md");

/** Lines outside fenced code blocks, with their text. */
function prose(markdown: string): string[] {
  const out: string[] = [];
  let fenced = false;
  for (const line of markdown.split("\n")) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    else if (!fenced) out.push(line);
  }
  return out;
}

/** The fenced code blocks' contents. */
function codeBlocks(markdown: string): string[] {
  const blocks: string[] = [];
  let current: string[] | null = null;
  for (const line of markdown.split("\n")) {
    if (/^\s*(```|~~~)/.test(line)) {
      if (current) blocks.push(current.join("\n"));
      current = current ? null : [];
    } else current?.push(line);
  }
  return blocks;
}

/** The section of `markdown` under the heading `title` (up to the next heading of the same or a higher level). */
function section(markdown: string, title: string): string {
  const lines = markdown.split("\n");
  const start = lines.findIndex((l) => /^#{1,6} /.test(l) && l.replace(/^#+ /, "").trim() === title);
  if (start < 0) throw new Error(`no heading "${title}"`);
  const level = /^#+/.exec(lines[start]!)![0].length;
  let end = lines.length;
  let fenced = false;
  for (let i = start + 1; i < lines.length; i++) {
    if (/^\s*(```|~~~)/.test(lines[i]!)) fenced = !fenced;
    const m = /^(#+) /.exec(lines[i]!);
    if (!fenced && m && m[1]!.length <= level) {
      end = i;
      break;
    }
  }
  return lines.slice(start + 1, end).join("\n");
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const line of prose(markdown)) {
    const m = /^#{1,6} (.*)$/.exec(line);
    if (!m) continue;
    const base = m[1]!
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

function variablesReadBy(source: string): Set<string> {
  const names = new Set<string>();
  for (const re of [
    /\(\s*env\s*,\s*"([A-Z][A-Z0-9_]*)"/g, // str(env, "NAME"), int(env, "NAME", …), any helper taking env first
    /\benv\.([A-Z][A-Z0-9_]*)\b/g,
    /\benv\[\s*"([A-Z][A-Z0-9_]*)"\s*\]/g,
  ]) {
    for (const m of source.matchAll(re)) names.add(m[1]!);
  }
  return names;
}

function variablesInTable(markdown: string): Set<string> {
  const names = new Set<string>();
  for (const line of section(markdown, "Configuration").split("\n")) {
    if (!line.startsWith("|")) continue;
    const first = line.split("|")[1] ?? "";
    for (const m of first.matchAll(/`([A-Z][A-Z0-9_]*)`/g)) names.add(m[1]!);
  }
  return names;
}

describe("README configuration table", () => {
  it("lists exactly the variables src/config.ts reads", () => {
    const read = variablesReadBy(readFileSync(join(ROOT, "src/config.ts"), "utf8"));
    const listed = variablesInTable(README);
    expect(read.size).toBeGreaterThan(10); // the parser found them
    expect(
      [...read].filter((v) => !listed.has(v)).sort(),
      "read by src/config.ts, missing from the table",
    ).toEqual([]);
    expect(
      [...listed].filter((v) => !read.has(v)).sort(),
      "in the table, never read by src/config.ts",
    ).toEqual([]);
  });
});

describe("links", () => {
  const docs = [
    "README.md",
    ...readdirSync(join(ROOT, "docs"))
      .filter((f) => f.endsWith(".md"))
      .map((f) => `docs/${f}`),
  ];

  it.each(docs)("every relative link and anchor in %s resolves", (doc) => {
    const broken: string[] = [];
    for (const line of prose(read(doc))) {
      for (const m of line.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1]!;
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // http:, https:, mailto:
        const [path, anchor] = target.split("#", 2) as [string, string | undefined];
        const file = path === "" ? join(ROOT, doc) : resolve(dirname(join(ROOT, doc)), path);
        if (!existsSync(file)) {
          broken.push(target);
          continue;
        }
        if (
          anchor !== undefined &&
          file.endsWith(".md") &&
          !anchorsOf(readFileSync(file, "utf8")).has(anchor)
        )
          broken.push(target);
      }
    }
    expect(broken).toEqual([]);
  });
});

describe("examples", () => {
  it("use no placeholder response id that can only fail", () => {
    for (const doc of ["README.md", "docs/responses-and-completions.md"]) {
      for (const block of codeBlocks(read(doc))) {
        expect(block, doc).not.toMatch(/"previous_response_id"\s*:\s*"resp_…"/);
        expect(block, doc).not.toMatch(/previous_response_id:\s*"resp_…"/);
      }
    }
  });

  it("tell a new user about npm run bench and BENCHMARKS.md", () => {
    expect(README).toContain("npm run bench");
    expect(README).toContain("BENCHMARKS.md");
  });

  it("say how to get reasoning_content instead of <think> blocks where the SDK snippets are", () => {
    const clients = section(README, "Pointing clients at it");
    expect(clients).toContain("<think>");
    expect(clients).toContain("reasoning_content");
    expect(clients).toMatch(/REASONING_COMPAT/);
    expect(clients).toMatch(/x-reasoning-compat/i);
  });

  it("say how the fake backend is scripted", () => {
    expect(README).toContain("[[fake ");
    expect(README).toContain("test/fakes/scenarios.ts");
  });
});

describe("the README's tool example, run against the fake backend", () => {
  let t: TestRelay;
  beforeAll(async () => {
    t = await startTestRelay();
  });
  afterAll(() => t?.close());

  /** The JSON body of the curl command under `# chat with a tool` (its single-quoted -d argument). */
  function toolExampleBody(): unknown {
    const block = codeBlocks(README).find((b) => b.includes("# chat with a tool"));
    if (!block) throw new Error("no '# chat with a tool' example");
    const after = block.slice(block.indexOf("# chat with a tool"));
    const m = /-d '([^']*)'/.exec(after);
    if (!m) throw new Error("the tool example has no -d '…' body");
    return JSON.parse(m[1]!);
  }

  it("makes the model call the tool", async () => {
    const res = await fetch(`${t.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(toolExampleBody()),
    });
    expect(res.status).toBe(200);
    const r = (await res.json()) as OpenAI.ChatCompletion;
    expect(r.choices[0]!.finish_reason).toBe("tool_calls");
    const call = r.choices[0]!.message.tool_calls?.[0];
    expect(call?.type === "function" && call.function.name).toBe("get_weather");
  });
});
