// Stream events → one Message, for non-stream answers. The same translator renders both forms, so a streamed and a
// non-streamed turn cannot disagree; this folds its events the way the SDK's finalMessage() does.

import type { AnthropicMessage, AnthropicStreamEvent, ResponseBlock } from "./message-types.ts";

export class MessageBuilder {
  private message: AnthropicMessage | null = null;
  /** Raw JSON of tool inputs, by block index. */
  private readonly json = new Map<number, string>();

  push(event: AnthropicStreamEvent): void {
    switch (event.type) {
      case "message_start":
        this.message = { ...event.message, content: [], usage: { ...event.message.usage } };
        break;
      case "content_block_start": {
        const b = event.content_block;
        let block: ResponseBlock;
        if (b.type === "thinking") block = { type: "thinking", thinking: "", signature: "" };
        else if (b.type === "text") block = { type: "text", text: "" };
        else if (b.type === "web_search_tool_result") block = { ...b, content: [...b.content] };
        else block = { ...b, input: {} };
        if (this.message) this.message.content[event.index] = block;
        break;
      }
      case "content_block_delta": {
        const block = this.message?.content[event.index];
        if (!block) break;
        const d = event.delta;
        if (d.type === "text_delta" && block.type === "text") block.text += d.text;
        else if (d.type === "thinking_delta" && block.type === "thinking") block.thinking += d.thinking;
        else if (d.type === "signature_delta" && block.type === "thinking") block.signature += d.signature;
        else if (d.type === "citations_delta" && block.type === "text")
          block.citations = [...(block.citations ?? []), d.citation];
        else if (d.type === "input_json_delta")
          this.json.set(event.index, (this.json.get(event.index) ?? "") + d.partial_json);
        break;
      }
      case "content_block_stop": {
        const block = this.message?.content[event.index];
        const raw = this.json.get(event.index);
        if (
          (block?.type === "tool_use" || block?.type === "server_tool_use") &&
          raw !== undefined &&
          raw.trim() !== ""
        ) {
          try {
            block.input = JSON.parse(raw);
          } catch {
            // A model that wrote broken JSON: the client gets the text, as Anthropic would fail to parse it too.
            block.input = { _raw_arguments: raw };
          }
        }
        break;
      }
      case "message_delta":
        if (this.message) {
          this.message.stop_reason = event.delta.stop_reason;
          this.message.stop_sequence = event.delta.stop_sequence;
          this.message.usage = { ...event.usage };
        }
        break;
      default:
        break;
    }
  }

  result(): AnthropicMessage | null {
    if (this.message) this.message.content = this.message.content.filter((b) => b !== undefined);
    return this.message;
  }
}
