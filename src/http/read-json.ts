// Reads a JSON request body with errors a client can act on. The size limit is enforced before this runs.

import type { Context } from "hono";
import { RelayError, invalidRequest } from "../core/errors.ts";

/**
 * Deepest nesting of arrays and objects a body may have. Real requests stay far below it (a long conversation with
 * tools and a JSON schema is ~20 levels); far deeper bodies would overflow the stack of the recursive code that
 * handles them later (JSON.stringify of the upstream body, schema conversion) and must be refused up front.
 */
export const MAX_JSON_DEPTH = 512;

export async function readJsonBody(c: Context): Promise<unknown> {
  let text: string;
  try {
    text = await c.req.text();
  } catch (err) {
    // The body limit aborts the read with its own error: let it through (413).
    if (err instanceof RelayError) throw err;
    throw new RelayError(400, "The request body could not be read.", { code: "invalid_body" });
  }
  return parseJsonBody(text);
}

export function parseJsonBody(text: string): unknown {
  if (text.trim() === "")
    throw invalidRequest(null, "The request body is empty; send a JSON object.", "invalid_json");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const detail = err instanceof SyntaxError ? ` (${err.message})` : "";
    throw invalidRequest(null, `The request body is not valid JSON${detail}.`, "invalid_json");
  }
  if (depthExceeds(value, MAX_JSON_DEPTH)) {
    throw invalidRequest(
      null,
      `The request body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep.`,
      "json_too_deep",
    );
  }
  return value;
}

/** Whether `value` nests arrays/objects deeper than `max`; iterative, so any depth is safe to check. */
export function depthExceeds(value: unknown, max: number): boolean {
  if (value === null || typeof value !== "object") return false;
  const stack: { v: object; d: number }[] = [{ v: value, d: 1 }];
  while (stack.length > 0) {
    const { v, d } = stack.pop()!;
    if (d > max) return true;
    const children = Array.isArray(v) ? v : Object.values(v);
    for (const child of children) {
      if (child !== null && typeof child === "object") stack.push({ v: child as object, d: d + 1 });
    }
  }
  return false;
}
