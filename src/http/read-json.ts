// Reads a JSON request body with errors a client can act on. The size limit is enforced before this runs.

import type { Context } from "hono";
import { RelayError, invalidRequest } from "../core/errors.ts";

export async function readJsonBody(c: Context): Promise<unknown> {
  let text: string;
  try {
    text = await c.req.text();
  } catch {
    throw new RelayError(400, "The request body could not be read.", { code: "invalid_body" });
  }
  if (text.trim() === "")
    throw invalidRequest(null, "The request body is empty; send a JSON object.", "invalid_json");
  try {
    return JSON.parse(text);
  } catch (err) {
    const detail = err instanceof SyntaxError ? ` (${err.message})` : "";
    throw invalidRequest(null, `The request body is not valid JSON${detail}.`, "invalid_json");
  }
}
