// The backend's 400s name the offending field only in their sentence ("Missing required parameter: 'tools[0].name'.",
// "Invalid type for 'input[7]': …"), and by the index of the body the relay sent, not the client's. For a
// /v1/responses client (the body is its own, passed through) the field can be named in `param`: an `input[k]`
// path is shifted back by the items the relay put in front (replayed history, base instructions); one that points
// into those items names nothing the client sent and stays null. Other dialects' bodies are converted, so a
// backend field name would mislead their clients: they keep param null.

import { RelayError } from "../core/errors.ts";

const QUOTED =
  /^(?:Missing required parameter|Unsupported parameter|Invalid type for|Invalid value for|Invalid)[: ]\s*'([A-Za-z_][\w.[\]]*)'/;
const BARE = /^(?:Missing required parameter|Unsupported parameter): ([A-Za-z_][\w.[\]]*)/;

/** The field a backend sentence names, as written (`input[7].content[0]`), or null. */
export function backendParam(message: string): string | null {
  const m = QUOTED.exec(message) ?? BARE.exec(message);
  return m?.[1] ?? null;
}

/**
 * A backend 400 with `param` set to the client's field. `inputOffset`: how many items the relay put in front of the
 * client's input.
 */
export function withClientParam(err: unknown, inputOffset: number): unknown {
  if (!(err instanceof RelayError) || err.status !== 400 || err.param !== null) return err;
  const named = backendParam(err.message);
  if (named === null) return err;
  let param: string | null = named;
  const m = /^input\[(\d+)\]/.exec(named);
  if (m) {
    const index = Number(m[1]) - inputOffset;
    param = index < 0 ? null : `input[${index}]${named.slice(m[0].length)}`;
  }
  if (param === null) return err;
  return new RelayError(err.status, err.message, {
    type: err.type,
    code: err.code,
    param,
    headers: err.headers,
  });
}
