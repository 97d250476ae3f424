// Anthropic `tools` / `tool_choice` → Responses tools and tool choice.
//   client tool {name, description, input_schema}       → {type:"function", name, description, parameters, strict:false}
//   defer_loading:true (a placeholder Claude Code says never to call) → left out
//   web_search_* server tool                              → {type:"web_search"} (+ allowed domains, user location)
//   Anthropic-defined client tools bash_*, text_editor_*  → function tools with their documented input (defined-tools.ts)
//   other server tools (computer_*, code_execution_*, web_fetch_*, memory_*) → a 400
//   tool_choice auto / any / none / tool{name}            → "auto" / "required" / "none" / {type:"function", name}
//   disable_parallel_tool_use                             → parallel_tool_calls:false

import { invalidRequest } from "../core/errors.ts";
import { definedToolFunction } from "./defined-tools.ts";
import type { JsonObject } from "../responses/types.ts";
import type { ToolChoiceParam, ToolParam } from "./request-schema.ts";

const EMPTY_SCHEMA: JsonObject = { type: "object", properties: {} };

export interface ConvertedTools {
  tools: JsonObject[];
  /** Names of the function tools. */
  functionNames: Set<string>;
  webSearch: boolean;
}

export function toResponsesTools(tools: readonly ToolParam[]): ConvertedTools {
  const out: JsonObject[] = [];
  const functionNames = new Set<string>();
  let webSearch = false;
  tools.forEach((tool, i) => {
    const type = tool.type ?? "custom";
    if (type === "custom") {
      if (tool.defer_loading === true) return;
      const fn: JsonObject = {
        type: "function",
        name: tool.name,
        parameters: toParameters(tool.input_schema),
        strict: false,
      };
      if (typeof tool.description === "string") fn.description = tool.description;
      out.push(fn);
      functionNames.add(tool.name);
      return;
    }
    if (type.startsWith("web_search_")) {
      if (webSearch) return;
      webSearch = true;
      const search: JsonObject = { type: "web_search" };
      if (tool.allowed_domains && tool.allowed_domains.length > 0)
        search.filters = { allowed_domains: tool.allowed_domains };
      if (tool.user_location) search.user_location = { type: "approximate", ...tool.user_location };
      out.push(search);
      return;
    }
    const defined = definedToolFunction(type, tool.name);
    if (defined) {
      out.push(defined);
      functionNames.add(tool.name);
      return;
    }
    throw invalidRequest(
      `tools[${i}].type`,
      `Invalid value for 'tools[${i}].type': the server tool '${type}' is not supported by codex-relay; declare a client tool with an input_schema instead (web_search_*, bash_* and text_editor_* are supported).`,
    );
  });
  return { tools: out, functionNames, webSearch };
}

/** The input schema without the keys the backend's function schema does not want ($schema), as an object schema. */
function toParameters(schema: Record<string, unknown> | null | undefined): JsonObject {
  if (!schema) return EMPTY_SCHEMA;
  const { $schema: _drop, ...rest } = schema;
  if (rest.type === undefined) rest.type = "object";
  if (rest.type === "object" && rest.properties === undefined) rest.properties = {};
  return rest;
}

export function toResponsesToolChoice(
  choice: ToolChoiceParam,
  tools: ConvertedTools,
): { toolChoice: string | JsonObject; parallel?: false } {
  const parallel =
    "disable_parallel_tool_use" in choice && choice.disable_parallel_tool_use === true
      ? { parallel: false as const }
      : {};
  switch (choice.type) {
    case "auto":
      return { toolChoice: "auto", ...parallel };
    case "any":
      return { toolChoice: "required", ...parallel };
    case "none":
      return { toolChoice: "none" };
    case "tool":
      if (!tools.functionNames.has(choice.name) && tools.webSearch && choice.name === "web_search")
        return { toolChoice: { type: "web_search" }, ...parallel };
      if (!tools.functionNames.has(choice.name)) {
        throw invalidRequest(
          "tool_choice.name",
          `Invalid value for 'tool_choice.name': '${choice.name}' is not one of the tools in 'tools'.`,
        );
      }
      return { toolChoice: { type: "function", name: choice.name }, ...parallel };
  }
}
