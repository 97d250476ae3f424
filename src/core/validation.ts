// Turns the first zod issue into a 400 that names the field the OpenAI way (`messages[2].role`) with a plain
// sentence, e.g. "Invalid value for 'messages[2].role': 'robot' is not one of system, user." Shared by every
// dialect's request schema. Custom issues (refine/superRefine, code "custom") keep their message as written, with
// "{param}" replaced by the field's path (a refinement does not know where in the body it runs).

import type { z } from "zod";
import { invalidRequest, type RelayError } from "./errors.ts";

type Path = readonly PropertyKey[];

/** ["messages", 2, "role"] → "messages[2].role" */
export function toParamPath(path: Path): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out;
}

function valueAt(input: unknown, path: Path): unknown {
  let cur: unknown = input;
  for (const key of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key as string];
  }
  return cur;
}

/** "a string", "an array", "null"… for messages. */
function describeType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "number") return Number.isInteger(value) ? "an integer" : "a number";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return "a string";
  if (typeof value === "boolean") return "a boolean";
  return typeof value;
}

function describeExpected(expected: string): string {
  switch (expected) {
    case "int":
      return "an integer";
    case "array":
    case "object":
      return `an ${expected}`;
    case "null":
    case "undefined":
      return expected;
    default:
      return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
  }
}

function show(value: unknown): string {
  if (typeof value === "string") return `'${value.length > 80 ? value.slice(0, 77) + "..." : value}'`;
  try {
    const s = JSON.stringify(value);
    if (s === undefined) return String(value);
    return s.length > 80 ? s.slice(0, 77) + "..." : s;
  } catch {
    return String(value);
  }
}

interface Located {
  issue: z.core.$ZodIssue;
  path: PropertyKey[];
}

/**
 * Resolves union issues: the branch that got furthest into the value (its first issue has the longest path) explains
 * the problem best, e.g. a content array whose third part lacks `text`. When every branch failed at the top (wrong
 * type), the union issue itself is kept.
 */
function locate(issue: z.core.$ZodIssue, base: PropertyKey[]): Located {
  const path = [...base, ...issue.path];
  if (issue.code !== "invalid_union" || !issue.errors || issue.errors.length === 0) return { issue, path };
  let best: z.core.$ZodIssue | undefined;
  for (const branch of issue.errors) {
    const first = branch[0];
    if (first && first.path.length > 0 && (!best || first.path.length > best.path.length)) best = first;
  }
  if (!best) {
    // Every branch failed at the top. One whose type matched (a wrong enum value, too many items) explains it best.
    for (const branch of issue.errors) {
      const first = branch[0];
      if (first && first.code !== "invalid_type" && first.code !== "invalid_union") {
        best = first;
        break;
      }
    }
  }
  return best ? locate(best, path) : { issue, path };
}

function unionExpected(issue: z.core.$ZodIssue): string[] {
  if (issue.code !== "invalid_union") return [];
  const out: string[] = [];
  for (const branch of issue.errors) {
    for (const sub of branch) {
      if (sub.path.length === 0 && sub.code === "invalid_type" && !out.includes(sub.expected))
        out.push(sub.expected);
      else if (sub.path.length === 0 && sub.code === "invalid_union") out.push(...unionExpected(sub));
    }
  }
  return out;
}

/** A human sentence for one issue. */
export function describeIssue(issue: z.core.$ZodIssue, param: string, input: unknown): string {
  const value = valueAt(input, issue.path);
  const where = param === "" ? "the request body" : `'${param}'`;
  switch (issue.code) {
    case "invalid_type":
      if (value === undefined) return `Missing required parameter: ${where}.`;
      return `Invalid type for ${where}: expected ${describeExpected(issue.expected)}, but got ${describeType(value)}.`;
    case "invalid_value":
      if (value === undefined) return `Missing required parameter: ${where}.`;
      return `Invalid value for ${where}: ${show(value)} is not one of ${issue.values.map((v) => String(v)).join(", ")}.`;
    case "too_small":
      if (issue.origin === "array") {
        return Number(issue.minimum) <= 1
          ? `${where} must be a non-empty array.`
          : `${where} must have at least ${String(issue.minimum)} items.`;
      }
      if (issue.origin === "string") {
        return Number(issue.minimum) <= 1 ? `${where} must not be empty.` : `${where} is too short.`;
      }
      return `Invalid value for ${where}: ${show(value)} is below the minimum of ${String(issue.minimum)}.`;
    case "too_big":
      if (issue.origin === "array") return `${where} may hold at most ${String(issue.maximum)} items.`;
      if (issue.origin === "string") return `${where} is too long.`;
      return `Invalid value for ${where}: ${show(value)} is above the maximum of ${String(issue.maximum)}.`;
    case "invalid_union": {
      if (issue.discriminator !== undefined && issue.errors.length === 0) {
        const options = "options" in issue ? (issue.options ?? []) : [];
        return `Invalid value for ${where}: ${show(value)} is not supported; use one of ${options.map(String).join(", ")}.`;
      }
      const expected = unionExpected(issue);
      if (expected.length > 0 && value !== undefined) {
        const list = expected.map(describeExpected);
        const text =
          list.length > 1 ? `${list.slice(0, -1).join(", ")} or ${list[list.length - 1]}` : list[0];
        return `Invalid type for ${where}: expected ${text}, but got ${describeType(value)}.`;
      }
      if (value === undefined) return `Missing required parameter: ${where}.`;
      return `Invalid value for ${where}.`;
    }
    case "custom":
      // Custom messages may name the field with the placeholder {param}.
      return issue.message.replaceAll("{param}", param);
    default:
      return `Invalid value for ${where}: ${issue.message}`;
  }
}

/** The first issue of a failed parse as a RelayError 400 naming the parameter. */
export function zodErrorToInvalidRequest(error: z.core.$ZodError, input: unknown): RelayError {
  const first = error.issues[0];
  if (!first) return invalidRequest(null, "The request body is invalid.");
  const { issue, path } = locate(first, []);
  const param = toParamPath(path);
  const located = { ...issue, path } as z.core.$ZodIssue;
  return invalidRequest(param === "" ? null : param, describeIssue(located, param, input));
}
