// Chat `response_format` → Responses `text.format`.

import type { JsonObject } from "../responses/types.ts";
import type { ChatResponseFormat } from "./chat-request-schema.ts";

/** The `text.format` object, or undefined for plain text. */
export function toTextFormat(format: ChatResponseFormat | null | undefined): JsonObject | undefined {
  if (!format) return undefined;
  switch (format.type) {
    case "json_object":
      return { type: "json_object" };
    case "json_schema": {
      const js = format.json_schema;
      const out: JsonObject = {
        type: "json_schema",
        name: js.name || "response",
        schema: js.schema,
        strict: js.strict ?? false,
      };
      if (typeof js.description === "string") out.description = js.description;
      return out;
    }
    default:
      return undefined;
  }
}
