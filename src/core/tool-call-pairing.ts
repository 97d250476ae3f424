// A tool result must answer a call made earlier in the conversation: the backend refuses one that does not with a
// bare 400 ("No tool call found for function call output with call_id …") that names no field. Each dialect's
// converter checks it during the walk over the history it already makes (a Set of the call ids seen so far), so
// the client gets the 400 in its own dialect, naming its own field.

import { invalidRequest, type RelayError } from "./errors.ts";

/** `call`: what is missing, e.g. "an assistant tool call with id 'x'"; `result`: what answers it, e.g. "tool message". */
export function toolCallNotFound(param: string, call: string, result: string): RelayError {
  return invalidRequest(
    param,
    `Invalid value for '${param}': no ${call} comes before this ${result}; a tool result must answer a tool call made earlier in the conversation.`,
    "tool_call_not_found",
  );
}
