// The reply shapes of Ollama's API (https://github.com/ollama/ollama/blob/main/docs/api.md), as the relay writes
// them. Field names and nesting follow Ollama exactly; clients (ollama-js, ollama-python, Open WebUI) read them.

import type { OllamaMetrics } from "./turn-clock.ts";

export interface OllamaToolCallOut {
  /** Ollama ≥ 0.12 sends call ids; clients echo them back on `tool` messages, which pairs results exactly. */
  id: string;
  function: { index: number; name: string; arguments: Record<string, unknown> };
}

export interface OllamaAssistantMessage {
  role: "assistant";
  content: string;
  thinking?: string;
  tool_calls?: OllamaToolCallOut[];
}

export type OllamaDoneReason = "stop" | "length" | "load";

export interface OllamaChatChunk {
  model: string;
  created_at: string;
  message: OllamaAssistantMessage;
  done: false;
}

export interface OllamaChatFinal extends Partial<OllamaMetrics> {
  model: string;
  created_at: string;
  message: OllamaAssistantMessage;
  done: true;
  done_reason: OllamaDoneReason;
}

export interface OllamaGenerateChunk {
  model: string;
  created_at: string;
  response: string;
  thinking?: string;
  done: false;
}

export interface OllamaGenerateFinal extends Partial<OllamaMetrics> {
  model: string;
  created_at: string;
  response: string;
  thinking?: string;
  done: true;
  done_reason: OllamaDoneReason;
  /** Ollama's token context for the next call; the backend has none to give, so it is always empty. */
  context?: number[];
}

/** A failure after the stream began: Ollama's error line. */
export interface OllamaErrorLine {
  error: string;
}

export interface OllamaModelDetails {
  parent_model: string;
  format: string;
  family: string;
  families: string[] | null;
  parameter_size: string;
  quantization_level: string;
}

export interface OllamaTagModel {
  name: string;
  model: string;
  modified_at: string;
  size: number;
  digest: string;
  details: OllamaModelDetails;
  [extra: string]: unknown;
}

export interface OllamaRunningModel extends OllamaTagModel {
  expires_at: string;
  size_vram: number;
}

export interface OllamaShowResponse {
  license?: string;
  modelfile: string;
  parameters: string;
  template: string;
  system?: string;
  details: OllamaModelDetails;
  model_info: Record<string, unknown>;
  capabilities: string[];
  modified_at: string;
}
