// Why the server could not listen, as the one-line ConfigError every other bad setting gives: the variable (or
// the `serve` option that overrode it), its value and what to do — instead of Node's raw `Unhandled 'error'
// event` trace.

import { ConfigError } from "../config.ts";

export interface ListenTarget {
  host: string;
  port: number;
  /** What set them: "HOST" / "PORT", or the CLI's "--host" / "--port". */
  hostSetting: string;
  portSetting: string;
}

const LOCAL_HOSTS = "127.0.0.1 (this machine only) or 0.0.0.0 (every interface)";

export function listenError(err: unknown, target: ListenTarget): Error {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  const { host, port, hostSetting, portSetting } = target;
  switch (code) {
    case "EADDRINUSE":
      return new ConfigError(
        portSetting,
        `port ${port} is already in use on ${host}; stop the program listening there or set ${portSetting} to a free port.`,
      );
    case "EACCES":
    case "EPERM":
      return new ConfigError(
        portSetting,
        `not allowed to listen on port ${port} (ports below 1024 need extra privileges); set ${portSetting} to 1024 or above.`,
      );
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "EAI_FAIL":
    case "EAI_NONAME":
      return new ConfigError(
        hostSetting,
        `"${host}" does not resolve to an address; set ${hostSetting} to an address of this machine, such as ${LOCAL_HOSTS}.`,
      );
    case "EADDRNOTAVAIL":
    case "EAFNOSUPPORT":
      return new ConfigError(
        hostSetting,
        `"${host}" is not an address of this machine; set ${hostSetting} to one of its addresses, such as ${LOCAL_HOSTS}.`,
      );
    default: {
      const message = err instanceof Error ? err.message : String(err);
      return new Error(`cannot listen on ${host}:${port} (${hostSetting}, ${portSetting}): ${message}`);
    }
  }
}
