// How reasoning reaches an OpenAI chat client, per REASONING_COMPAT:
//
//   think-tags         inside `content`: "<think>" + reasoning + "</think>", then the answer after a blank line.
//                      The block opens at the first reasoning delta and closes before the first text delta, before a
//                      tool call and at the finish. If reasoning resumes after text, a new "<think>" block opens
//                      (after a blank line). Summary parts are separated by a blank line. This is what Open WebUI
//                      and many chat UIs parse.
//   reasoning_content  `delta.reasoning_content` (DeepSeek style: Open WebUI, LiteLLM, Cline, Continue…);
//                      parts separated by a blank line.
//   o3                 `delta.reasoning = {content: [{type: "text", text}]}`.
//   legacy             `delta.reasoning_summary` for summary text, `delta.reasoning` (a string) for raw reasoning.
//   hidden             dropped.
//
// Whitespace: "<think>" is followed directly by the reasoning and "</think>" directly follows it; the blank line
// between "</think>" and the answer is sent with the first text delta, so a turn that ends in reasoning (or a tool
// call) leaves no trailing whitespace.

import type { ReasoningCompat } from "../config.ts";
import type { StreamPart } from "../core/stream-parts.ts";

export const THINK_OPEN = "<think>";
export const THINK_CLOSE = "</think>";
const PARAGRAPH = "\n\n";

type ReasoningPart = Extract<StreamPart, { type: "reasoning-delta" }>;

/** Fields merged into a chat chunk's `delta` for one reasoning part. */
export type ReasoningDeltaFields =
  | { content: string }
  | { reasoning_content: string }
  | { reasoning: { content: { type: "text"; text: string }[] } }
  | { reasoning_summary: string }
  | { reasoning: string };

/** Streaming state for one choice. */
export class ReasoningStreamRenderer {
  private open = false;
  /** Text or a tool call was sent: reopening think-tags needs a blank line first. */
  private contentSent = false;
  private lastKind: "summary" | "raw" | null = null;
  private lastIndex = -1;
  /** Something was rendered into the current block / field (decides whether a part break is needed). */
  private rendered = false;
  /** legacy mode: last part index per field. */
  private lastSummary = -1;
  private lastRaw = -1;

  constructor(readonly compat: ReasoningCompat) {}

  /** The delta fields for a reasoning part, or null when this mode hides it. */
  reasoning(part: ReasoningPart): ReasoningDeltaFields | null {
    if (this.compat === "hidden" || part.delta === "") return null;
    const newPart = this.rendered && (part.kind !== this.lastKind || part.partIndex !== this.lastIndex);
    this.lastKind = part.kind;
    this.lastIndex = part.partIndex;
    switch (this.compat) {
      case "think-tags": {
        if (!this.open) {
          this.open = true;
          this.rendered = true;
          return { content: (this.contentSent ? PARAGRAPH + THINK_OPEN : THINK_OPEN) + part.delta };
        }
        this.rendered = true;
        return { content: newPart ? PARAGRAPH + part.delta : part.delta };
      }
      case "reasoning_content":
        this.rendered = true;
        return { reasoning_content: newPart ? PARAGRAPH + part.delta : part.delta };
      case "o3":
        this.rendered = true;
        return {
          reasoning: { content: [{ type: "text", text: newPart ? PARAGRAPH + part.delta : part.delta }] },
        };
      case "legacy": {
        // Summary and raw reasoning go to separate fields: part breaks are counted per field.
        if (part.kind === "summary") {
          const brk = this.lastSummary >= 0 && part.partIndex !== this.lastSummary;
          this.lastSummary = part.partIndex;
          return { reasoning_summary: brk ? PARAGRAPH + part.delta : part.delta };
        }
        const brk = this.lastRaw >= 0 && part.partIndex !== this.lastRaw;
        this.lastRaw = part.partIndex;
        return { reasoning: brk ? PARAGRAPH + part.delta : part.delta };
      }
    }
    return null;
  }

  /** Text to put before an answer text delta: closes an open think block. */
  beforeText(): string {
    this.contentSent = true;
    if (!this.open) return "";
    this.open = false;
    this.rendered = false;
    return THINK_CLOSE + PARAGRAPH;
  }

  /** Content to send on its own before a tool call or the finish: closes an open think block (else ""). */
  close(): string {
    if (!this.open) return "";
    this.open = false;
    this.rendered = false;
    this.contentSent = true;
    return THINK_CLOSE;
  }

  /** Marks that a tool call was sent (reopening think-tags then needs a blank line). */
  toolCallSent(): void {
    this.contentSent = true;
  }
}

/**
 * The mode for a request's `response_format`: think-tags would put the reasoning inside `content`, where a JSON answer
 * (json_object / json_schema) must stand alone for the client to parse it, so such requests get `reasoning_content`.
 */
export function compatForFormat(
  compat: ReasoningCompat,
  format: { type: string } | null | undefined,
): ReasoningCompat {
  const json = format?.type === "json_object" || format?.type === "json_schema";
  return compat === "think-tags" && json ? "reasoning_content" : compat;
}

/** Reasoning fields of a non-stream `message`, and its final content, per compat mode. */
export function renderReasoningMessage(
  compat: ReasoningCompat,
  summary: readonly string[],
  raw: string,
  content: string,
): { content: string; fields: Record<string, unknown> } {
  const summaryText = summary.filter((s) => s !== "").join(PARAGRAPH);
  switch (compat) {
    case "think-tags": {
      const reasoning = [summaryText, raw].filter((s) => s !== "").join(PARAGRAPH);
      if (reasoning === "") return { content, fields: {} };
      const block = THINK_OPEN + reasoning + THINK_CLOSE;
      return { content: content === "" ? block : block + PARAGRAPH + content, fields: {} };
    }
    case "reasoning_content": {
      const reasoning = [summaryText, raw].filter((s) => s !== "").join(PARAGRAPH);
      return { content, fields: reasoning === "" ? {} : { reasoning_content: reasoning } };
    }
    case "o3": {
      const reasoning = [summaryText, raw].filter((s) => s !== "").join(PARAGRAPH);
      return {
        content,
        fields: reasoning === "" ? {} : { reasoning: { content: [{ type: "text", text: reasoning }] } },
      };
    }
    case "legacy": {
      const fields: Record<string, unknown> = {};
      if (summaryText !== "") fields.reasoning_summary = summaryText;
      if (raw !== "") fields.reasoning = raw;
      return { content, fields };
    }
    default:
      return { content, fields: {} };
  }
}
