// Anthropic-defined client tools: the bash tool (`bash_20250124`) and the text editor (`text_editor_*`) come with no
// input_schema (Anthropic's models know theirs), yet the client runs them like any tool of its own (the AI SDK's
// anthropic.tools.bash / textEditor, agents built on the Anthropic SDK). They become function tools with the input
// shape Anthropic documents for them, so tool_use blocks come back in the shape the client's executor expects.
// Server tools the backend cannot run (code_execution, web_fetch) and computer use (screenshots) stay refused.

import type { JsonObject } from "../responses/types.ts";

const BASH: JsonObject = {
  description:
    "Run a command in a persistent bash shell and get its output. Set restart to true to start a new shell.",
  parameters: {
    type: "object",
    properties: {
      command: { type: "string", description: "The command to run." },
      restart: { type: "boolean", description: "Restart the shell instead of running a command." },
    },
  },
};

function textEditor(commands: string[]): JsonObject {
  return {
    description:
      "View, create and edit text files. view: show a file (with line numbers; view_range limits the lines) or " +
      "list a directory. create: write file_text to a new file. str_replace: replace old_str, which must occur " +
      "exactly once, with new_str. insert: insert new_str after line insert_line (0: at the start)." +
      (commands.includes("undo_edit") ? " undo_edit: undo the last edit of the file." : ""),
    parameters: {
      type: "object",
      properties: {
        command: { type: "string", enum: commands },
        path: { type: "string", description: "Absolute path of the file or directory." },
        file_text: { type: "string", description: "create: the content of the new file." },
        old_str: { type: "string", description: "str_replace: the text to replace." },
        new_str: { type: "string", description: "str_replace: the replacement; insert: the text to insert." },
        insert_line: { type: "integer", description: "insert: the line after which to insert." },
        view_range: {
          type: "array",
          items: { type: "integer" },
          description: "view: [first, last] line to show (last -1: to the end).",
        },
      },
      required: ["command", "path"],
    },
  };
}

const EDITOR_COMMANDS = ["view", "create", "str_replace", "insert"];

/** The function tool for an Anthropic-defined client tool type, or null when the type is not one. */
export function definedToolFunction(type: string, name: string): JsonObject | null {
  let shape: JsonObject | null = null;
  if (/^bash_\d{8}$/.test(type)) shape = BASH;
  else if (type === "text_editor_20241022" || type === "text_editor_20250124")
    shape = textEditor([...EDITOR_COMMANDS, "undo_edit"]);
  else if (/^text_editor_\d{8}$/.test(type)) shape = textEditor(EDITOR_COMMANDS);
  if (!shape) return null;
  // A copy: later steps may adjust a request's tool schemas in place.
  return { type: "function", name, ...structuredClone(shape), strict: false };
}
