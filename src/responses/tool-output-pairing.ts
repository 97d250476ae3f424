// A /v1/responses input whose function_call_output (or custom_tool_call_output) answers no earlier call is refused
// here, naming the client's field (`input[5].call_id`), instead of reaching the backend, which answers a bare 400
// ("No tool call found for function call output with call_id …") whose item index would not even be the client's
// (replayed history and base instructions go in front). The call may sit in the replayed previous response: that
// history is walked only when the client's own input does not hold the call (a Codex-style full history never
// needs it).

import { invalidRequest } from "../core/errors.ts";
import { toolCallNotFound } from "../core/tool-call-pairing.ts";
import type { ResponsesInputItem } from "./types.ts";

const OUTPUTS: ReadonlySet<string> = new Set(["function_call_output", "custom_tool_call_output"]);
const CALLS: ReadonlySet<string> = new Set(["function_call", "custom_tool_call"]);

/** Throws a 400 naming the first tool output of `input` without a call before it (in `history` or `input`). */
export function checkToolOutputs(
  input: readonly ResponsesInputItem[],
  history: readonly ResponsesInputItem[] | undefined,
): void {
  let seen: Set<string> | null = null;
  let historyRead = false;
  for (let i = 0; i < input.length; i++) {
    const item = input[i] as ResponsesInputItem;
    const type = item.type;
    const callId = item.call_id;
    if (OUTPUTS.has(type)) {
      if (typeof callId !== "string" || callId === "") throw missingCallId(i, type);
      if (seen?.has(callId)) continue;
      if (!historyRead) {
        historyRead = true;
        seen ??= new Set();
        for (const h of history ?? []) addCall(seen, h);
        if (seen.has(callId)) continue;
      }
      throw toolCallNotFound(`input[${i}].call_id`, `tool call with call_id '${callId}'`, `${type} item`);
    }
    if (CALLS.has(type) && (typeof callId !== "string" || callId === "")) throw missingCallId(i, type);
    if (typeof callId === "string") addCall((seen ??= new Set()), item);
  }
}

/** Any item that is not an output and carries a call_id is a call (function, custom, local shell, tool search…). */
function addCall(seen: Set<string>, item: ResponsesInputItem): void {
  const callId = item.call_id;
  if (typeof callId === "string" && !(typeof item.type === "string" && item.type.endsWith("_output")))
    seen.add(callId);
}

function missingCallId(index: number, type: string) {
  const param = `input[${index}].call_id`;
  return invalidRequest(
    param,
    `Missing required parameter: '${param}' (a ${type} item needs the call_id of its call).`,
    "missing_required_parameter",
  );
}
