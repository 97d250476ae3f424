// The dialect-neutral view of one upstream turn. `ResponsesEventNormalizer` turns backend events into these
// parts; every client dialect (OpenAI chat, legacy completions, Ollama, Anthropic) renders parts, so the protocol quirks
// of the backend are handled in one place only.

import type { ResponsesUsage } from "../responses/types.ts";

export type FinishReason = "stop" | "length" | "tool_calls" | "content_filter";

export interface TurnUsage {
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  reasoningTokens: number;
  totalTokens: number;
}

export interface WebSource {
  url: string;
  title?: string;
}

export type StreamPart =
  /** First event: the backend accepted the request. */
  | { type: "response-start"; responseId: string; model?: string }
  /** A piece of the visible answer. */
  | { type: "text-delta"; delta: string }
  /**
   * A piece of reasoning. `kind: "summary"` is the reasoning summary (what ChatGPT shows), `"raw"` raw chain of
   * thought. `partIndex` counts summary paragraphs across the whole turn, so a renderer can put a paragraph break
   * between parts.
   */
  | { type: "reasoning-delta"; delta: string; kind: "summary" | "raw"; partIndex: number }
  /**
   * A reasoning item is complete. `encryptedContent` is the backend's opaque copy of it (sent when the request
   * included "reasoning.encrypted_content"): a later turn can send it back, the only way to replay reasoning with
   * store:false. Dialects that show reasoning as separate blocks close one here.
   */
  | { type: "reasoning-end"; encryptedContent?: string }
  /** A function call begins; `index` counts calls within the turn from 0. */
  | { type: "tool-call-start"; index: number; callId: string; name: string }
  | { type: "tool-call-delta"; index: number; argumentsDelta: string }
  /** The call is complete; `arguments` is the full JSON string. */
  | { type: "tool-call-end"; index: number; callId: string; name: string; arguments: string }
  /**
   * The backend searched the web (a completed web_search_call item with a search action): what it searched for and
   * the pages it found (listed only when the backend sends them). Dialects without server tools ignore it.
   */
  | { type: "web-search"; id: string; query: string; sources: WebSource[] }
  /**
   * The answer cites a web page (a url_citation annotation on the text just sent). `start`/`end`: the cited span in
   * the turn's answer text (every text-delta joined), when the backend gave its indices.
   */
  | { type: "web-citation"; url: string; title: string; start?: number; end?: number }
  /** Terminal: the turn ended normally (or was cut by length/content filter). */
  | {
      type: "finish";
      reason: FinishReason;
      usage?: TurnUsage;
      responseId?: string;
      /** Set when the relay ended the turn at one of the request's stop sequences: the sequence matched. */
      stopSequence?: string;
    }
  /** Terminal: the turn failed. `code` is the backend's error code when there is one. */
  | { type: "error"; message: string; code?: string; errorType?: string };

export function toTurnUsage(usage: ResponsesUsage | null | undefined): TurnUsage | undefined {
  if (!usage || typeof usage !== "object") return undefined;
  const input = Number(usage.input_tokens) || 0;
  const output = Number(usage.output_tokens) || 0;
  return {
    inputTokens: input,
    cachedInputTokens: Number(usage.input_tokens_details?.cached_tokens) || 0,
    outputTokens: output,
    reasoningTokens: Number(usage.output_tokens_details?.reasoning_tokens) || 0,
    totalTokens: Number(usage.total_tokens) || input + output,
  };
}
