import { describe, expect, it } from "vitest";
import { FALLBACK_MODELS, type CatalogModel } from "../models/catalog.ts";
import { capabilitiesOf, digestOf, showResponse, tagModel, withTag } from "./model-info.ts";

const MODEL = FALLBACK_MODELS[0] as CatalogModel;

describe("model info", () => {
  it("lists a model the way /api/tags does", () => {
    const t = tagModel("gpt-5.5-high", "2025-01-01T00:00:00.000Z");
    expect(t).toMatchObject({ name: "gpt-5.5-high:latest", model: "gpt-5.5-high:latest", size: 0 });
    expect(t.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(t.details).toMatchObject({ family: "gpt", families: ["gpt"], format: "" });
  });

  it("gives each name a stable, distinct digest", () => {
    expect(digestOf("a:latest")).toBe(digestOf("a:latest"));
    expect(digestOf("a:latest")).not.toBe(digestOf("b:latest"));
  });

  it("keeps tags a name already has", () => {
    expect(withTag("x:7b")).toBe("x:7b");
    expect(withTag("x")).toBe("x:latest");
  });

  it("shows capabilities, context length and the Ollama fields", () => {
    const show = showResponse("gpt-5.5", MODEL, "2025-01-01T00:00:00.000Z");
    expect(show.capabilities).toEqual(["completion", "tools", "thinking", "vision"]);
    expect(show.model_info).toMatchObject({ "general.architecture": "gpt", "gpt.context_length": 272_000 });
    expect(show.parameters).toBe("num_ctx 272000");
    expect(typeof show.template).toBe("string");
    expect(show.modelfile).toContain("FROM gpt-5.5");
  });

  it("leaves vision out for text-only models", () => {
    expect(capabilitiesOf({ ...MODEL, inputModalities: ["text"] })).not.toContain("vision");
  });
});
