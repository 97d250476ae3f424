// The Anthropic Messages shapes the relay writes: the response message, its content blocks and the stream events.

export type StopReason = "end_turn" | "max_tokens" | "stop_sequence" | "tool_use" | "refusal";

export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  /** Searches the backend made in this turn (present when there was one). */
  server_tool_use?: { web_search_requests: number };
}

/** A page found by a web search. The backend sends no encrypted copy or age: "" and null. */
export interface WebSearchResult {
  type: "web_search_result";
  url: string;
  title: string;
  encrypted_content: string;
  page_age: string | null;
}

export interface WebSearchCitation {
  type: "web_search_result_location";
  url: string;
  title: string;
  /** The backend cites a page without quoting it: "". */
  cited_text: string;
  encrypted_index: string;
}

export interface WebSearchToolResultBlock {
  type: "web_search_tool_result";
  tool_use_id: string;
  content: WebSearchResult[];
}

export type ResponseBlock =
  | { type: "text"; text: string; citations?: WebSearchCitation[] }
  | { type: "thinking"; thinking: string; signature: string }
  | { type: "tool_use"; id: string; name: string; input: unknown }
  | { type: "server_tool_use"; id: string; name: "web_search"; input: unknown }
  | WebSearchToolResultBlock;

export interface AnthropicMessage {
  id: string;
  type: "message";
  role: "assistant";
  model: string;
  content: ResponseBlock[];
  stop_reason: StopReason | null;
  stop_sequence: string | null;
  usage: AnthropicUsage;
}

export type BlockDelta =
  | { type: "text_delta"; text: string }
  | { type: "thinking_delta"; thinking: string }
  | { type: "signature_delta"; signature: string }
  | { type: "input_json_delta"; partial_json: string }
  | { type: "citations_delta"; citation: WebSearchCitation };

export type StartBlock =
  | { type: "text"; text: "" }
  | { type: "thinking"; thinking: "" }
  | { type: "tool_use"; id: string; name: string; input: Record<string, never> }
  | { type: "server_tool_use"; id: string; name: "web_search"; input: Record<string, never> }
  | WebSearchToolResultBlock;

export type AnthropicErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "billing_error"
  | "permission_error"
  | "not_found_error"
  | "request_too_large"
  | "rate_limit_error"
  | "api_error"
  | "timeout_error"
  | "overloaded_error";

export interface AnthropicErrorBody {
  type: "error";
  error: { type: AnthropicErrorType; message: string };
}

export type AnthropicStreamEvent =
  | { type: "message_start"; message: AnthropicMessage }
  | { type: "content_block_start"; index: number; content_block: StartBlock }
  | { type: "content_block_delta"; index: number; delta: BlockDelta }
  | { type: "content_block_stop"; index: number }
  | {
      type: "message_delta";
      delta: { stop_reason: StopReason; stop_sequence: string | null };
      usage: AnthropicUsage;
    }
  | { type: "message_stop" }
  | { type: "ping" }
  | AnthropicErrorBody;

/** One SSE frame; the `event:` line is mandatory (Claude Code and the SDK reject data-only streams). */
export function serializeEvent(event: AnthropicStreamEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

export const PING_FRAME = serializeEvent({ type: "ping" });
