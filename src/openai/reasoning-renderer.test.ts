import { describe, expect, it } from "vitest";
import type { ReasoningCompat } from "../config.ts";
import { ReasoningStreamRenderer, compatForFormat, renderReasoningMessage } from "./reasoning-renderer.ts";

const summary = (delta: string, partIndex: number) => ({
  type: "reasoning-delta" as const,
  delta,
  kind: "summary" as const,
  partIndex,
});
const raw = (delta: string, partIndex: number) => ({
  type: "reasoning-delta" as const,
  delta,
  kind: "raw" as const,
  partIndex,
});

describe("ReasoningStreamRenderer", () => {
  it("think-tags: opens once, breaks between parts, closes before text with a blank line", () => {
    const r = new ReasoningStreamRenderer("think-tags");
    expect(r.reasoning(summary("a", 0))).toEqual({ content: "<think>a" });
    expect(r.reasoning(summary("b", 0))).toEqual({ content: "b" });
    expect(r.reasoning(summary("c", 1))).toEqual({ content: "\n\nc" });
    expect(r.beforeText()).toBe("</think>\n\n");
    expect(r.beforeText()).toBe("");
    // Reasoning resumes after text: a new block after a blank line.
    expect(r.reasoning(summary("d", 2))).toEqual({ content: "\n\n<think>d" });
    expect(r.close()).toBe("</think>");
    expect(r.close()).toBe("");
  });

  it("reasoning_content: paragraph breaks between parts", () => {
    const r = new ReasoningStreamRenderer("reasoning_content");
    expect(r.reasoning(summary("a", 0))).toEqual({ reasoning_content: "a" });
    expect(r.reasoning(summary("b", 1))).toEqual({ reasoning_content: "\n\nb" });
    expect(r.beforeText()).toBe("");
    expect(r.close()).toBe("");
  });

  it("o3: reasoning.content text items", () => {
    const r = new ReasoningStreamRenderer("o3");
    expect(r.reasoning(summary("a", 0))).toEqual({ reasoning: { content: [{ type: "text", text: "a" }] } });
    expect(r.reasoning(summary("b", 1))).toEqual({
      reasoning: { content: [{ type: "text", text: "\n\nb" }] },
    });
  });

  it("legacy: summary in reasoning_summary, raw in reasoning, breaks per field", () => {
    const r = new ReasoningStreamRenderer("legacy");
    expect(r.reasoning(summary("a", 0))).toEqual({ reasoning_summary: "a" });
    expect(r.reasoning(raw("x", 0))).toEqual({ reasoning: "x" });
    expect(r.reasoning(summary("b", 1))).toEqual({ reasoning_summary: "\n\nb" });
    expect(r.reasoning(raw("y", 0))).toEqual({ reasoning: "y" });
  });

  it("hidden: drops reasoning", () => {
    const r = new ReasoningStreamRenderer("hidden");
    expect(r.reasoning(summary("a", 0))).toBeNull();
    expect(r.beforeText()).toBe("");
  });
});

describe("renderReasoningMessage", () => {
  const parts = ["One.", "Two."];
  const cases: [ReasoningCompat, string, Record<string, unknown>][] = [
    ["think-tags", "<think>One.\n\nTwo.</think>\n\nAnswer", {}],
    ["reasoning_content", "Answer", { reasoning_content: "One.\n\nTwo." }],
    ["o3", "Answer", { reasoning: { content: [{ type: "text", text: "One.\n\nTwo." }] } }],
    ["legacy", "Answer", { reasoning_summary: "One.\n\nTwo." }],
    ["hidden", "Answer", {}],
  ];
  for (const [compat, content, fields] of cases) {
    it(compat, () => {
      expect(renderReasoningMessage(compat, parts, "", "Answer")).toEqual({ content, fields });
    });
  }

  it("leaves messages without reasoning alone", () => {
    expect(renderReasoningMessage("think-tags", [], "", "A")).toEqual({ content: "A", fields: {} });
    expect(renderReasoningMessage("reasoning_content", [], "", "A")).toEqual({ content: "A", fields: {} });
  });

  it("think-tags without answer text: just the block", () => {
    expect(renderReasoningMessage("think-tags", ["R"], "", "").content).toBe("<think>R</think>");
  });

  it("legacy raw reasoning goes to reasoning", () => {
    expect(renderReasoningMessage("legacy", [], "raw", "A").fields).toEqual({ reasoning: "raw" });
  });
});

describe("compatForFormat", () => {
  it("moves think-tags reasoning out of a JSON answer", () => {
    expect(compatForFormat("think-tags", { type: "json_object" })).toBe("reasoning_content");
    expect(compatForFormat("think-tags", { type: "json_schema" })).toBe("reasoning_content");
  });

  it("keeps every other combination", () => {
    expect(compatForFormat("think-tags", { type: "text" })).toBe("think-tags");
    expect(compatForFormat("think-tags", null)).toBe("think-tags");
    expect(compatForFormat("think-tags", undefined)).toBe("think-tags");
    expect(compatForFormat("o3", { type: "json_schema" })).toBe("o3");
    expect(compatForFormat("hidden", { type: "json_object" })).toBe("hidden");
  });
});
