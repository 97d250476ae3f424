// Shapes of the ChatGPT Codex backend's Responses protocol, as far as the relay reads or writes them.
// Items and events carry many more fields than listed; unknown fields are passed through untouched.

export type JsonObject = Record<string, unknown>;

/** An item of the `input` list (message, function_call, function_call_output, reasoning, …). */
export interface ResponsesInputItem extends JsonObject {
  type: string;
}

export interface ResponsesMessageItem extends ResponsesInputItem {
  type: "message";
  role: "user" | "developer" | "assistant" | "system";
  content: ResponsesContentPart[];
}

export type ResponsesContentPart =
  | { type: "input_text"; text: string }
  | { type: "output_text"; text: string }
  | { type: "input_image"; image_url: string; detail?: "auto" | "low" | "high" };

export interface ResponsesFunctionTool {
  type: "function";
  name: string;
  description?: string;
  parameters: JsonObject;
  strict: boolean;
}

export type ReasoningEffort = "none" | "minimal" | "low" | "medium" | "high" | "xhigh";
export type ReasoningSummary = "auto" | "concise" | "detailed" | "none";
export type Verbosity = "low" | "medium" | "high";

/** The JSON body POSTed to `…/codex/responses`. */
export interface ResponsesRequestBody extends JsonObject {
  model: string;
  instructions?: string;
  input: ResponsesInputItem[];
  tools?: JsonObject[];
  tool_choice?: string | JsonObject;
  parallel_tool_calls?: boolean;
  reasoning?: { effort?: ReasoningEffort; summary?: Exclude<ReasoningSummary, "none"> } | null;
  store: false;
  stream: true;
  include?: string[];
  prompt_cache_key?: string;
  text?: { verbosity?: Verbosity; format?: JsonObject };
}

/** One parsed SSE event from the backend (the `data:` JSON). */
export interface UpstreamEvent extends JsonObject {
  type: string;
  sequence_number?: number;
}

/** `response.completed.response.usage` */
export interface ResponsesUsage {
  input_tokens: number;
  input_tokens_details?: { cached_tokens?: number } | null;
  output_tokens: number;
  output_tokens_details?: { reasoning_tokens?: number } | null;
  total_tokens: number;
}
