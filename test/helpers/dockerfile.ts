// Reads a Dockerfile the way `docker build` does for what a test needs: the stages, and in the final stage the
// ENV, USER, WORKDIR, VOLUME, EXPOSE, HEALTHCHECK and CMD the container runs with. No Docker engine runs on the
// test machines, so the Docker suite runs exactly this command instead of the image.

import { readFileSync } from "node:fs";

export interface Instruction {
  keyword: string;
  args: string;
}

export interface Stage {
  from: string;
  name: string | null;
  instructions: Instruction[];
}

export interface FinalImage {
  env: Record<string, string>;
  user: string | null;
  workdir: string | null;
  volumes: string[];
  expose: string[];
  /** Exec form only (a JSON array); null when the CMD is in shell form. */
  cmd: string[] | null;
  healthcheck: { options: Record<string, string>; cmd: string[] | null } | null;
  stopSignal: string | null;
}

/** Instructions with line continuations joined and comments dropped. */
export function parseInstructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let current = "";
  for (const raw of text.split("\n")) {
    const line = raw.trimEnd();
    if (current === "" && /^\s*#/.test(line)) continue;
    if (current !== "" && /^\s*#/.test(line)) continue; // comments inside a continued instruction
    if (line.endsWith("\\")) {
      current += line.slice(0, -1) + " ";
      continue;
    }
    current += line;
    const t = current.trim();
    current = "";
    if (t === "") continue;
    const m = /^(\S+)\s*(.*)$/.exec(t)!;
    out.push({ keyword: m[1]!.toUpperCase(), args: m[2]!.trim() });
  }
  return out;
}

export function parseStages(text: string): { args: Record<string, string>; stages: Stage[] } {
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const ins of parseInstructions(text)) {
    if (ins.keyword === "FROM") {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?/i.exec(ins.args)!;
      stages.push({ from: expand(m[1]!, args), name: m[2] ?? null, instructions: [] });
    } else if (stages.length === 0 && ins.keyword === "ARG") {
      const [k, v = ""] = ins.args.split("=", 2);
      args[k!] = v;
    } else {
      stages.at(-1)?.instructions.push(ins);
    }
  }
  return { args, stages };
}

function expand(s: string, args: Record<string, string>): string {
  return s.replace(
    /\$\{(\w+)\}|\$(\w+)/g,
    (_, a: string | undefined, b: string | undefined) => args[(a ?? b)!] ?? "",
  );
}

/** `KEY=value KEY2="value 2"` (and the old `KEY value` form). */
export function parseEnv(args: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!args.includes("=")) {
    const [k, ...rest] = args.split(/\s+/);
    out[k!] = rest.join(" ");
    return out;
  }
  const re = /(\w+)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g;
  for (const m of args.matchAll(re)) {
    const v = m[2]!;
    out[m[1]!] = v.startsWith('"') ? (JSON.parse(v) as string) : v.startsWith("'") ? v.slice(1, -1) : v;
  }
  return out;
}

function execForm(args: string): string[] | null {
  if (!args.startsWith("[")) return null;
  const v = JSON.parse(args) as unknown;
  return Array.isArray(v) && v.every((x) => typeof x === "string") ? (v as string[]) : null;
}

export function finalImage(path: string): FinalImage & { stages: Stage[] } {
  const { stages } = parseStages(readFileSync(path, "utf8"));
  const last = stages.at(-1);
  if (!last) throw new Error(`${path} has no FROM`);
  const image: FinalImage = {
    env: {},
    user: null,
    workdir: null,
    volumes: [],
    expose: [],
    cmd: null,
    healthcheck: null,
    stopSignal: null,
  };
  for (const { keyword, args } of last.instructions) {
    if (keyword === "ENV") Object.assign(image.env, parseEnv(args));
    else if (keyword === "USER") image.user = args;
    else if (keyword === "WORKDIR") image.workdir = args;
    else if (keyword === "VOLUME") image.volumes.push(...(execForm(args) ?? args.split(/\s+/)));
    else if (keyword === "EXPOSE") image.expose.push(...args.split(/\s+/));
    else if (keyword === "CMD") image.cmd = execForm(args);
    else if (keyword === "STOPSIGNAL") image.stopSignal = args;
    else if (keyword === "HEALTHCHECK") {
      const options: Record<string, string> = {};
      let rest = args;
      for (let m = /^--(\S+?)=(\S+)\s*/.exec(rest); m; m = /^--(\S+?)=(\S+)\s*/.exec(rest)) {
        options[m[1]!] = m[2]!;
        rest = rest.slice(m[0].length);
      }
      image.healthcheck = { options, cmd: rest.startsWith("CMD") ? execForm(rest.slice(3).trim()) : null };
    }
  }
  return { ...image, stages };
}
