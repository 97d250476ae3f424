// Chat `tools` / `tool_choice` → the Responses API's flat function tools and tool choice.

import type { JsonObject, ResponsesFunctionTool } from "../responses/types.ts";
import type { ChatTool, ChatToolChoice } from "./chat-request-schema.ts";

const EMPTY_PARAMETERS: JsonObject = { type: "object", properties: {} };

export type ResponsesTool = ResponsesFunctionTool & JsonObject;

export function toResponsesTools(tools: readonly ChatTool[]): ResponsesTool[] {
  return tools.map((tool) => {
    const fn = tool.function;
    const out: ResponsesTool = {
      type: "function",
      name: fn.name,
      parameters: fn.parameters ?? EMPTY_PARAMETERS,
      strict: fn.strict ?? false,
    };
    if (typeof fn.description === "string") out.description = fn.description;
    return out;
  });
}

/** "auto" / "none" / "required" unchanged; {type:"function", function:{name}} → {type:"function", name}. */
export function toResponsesToolChoice(choice: ChatToolChoice): string | JsonObject {
  if (typeof choice === "string") return choice;
  return { type: "function", name: choice.function.name };
}
