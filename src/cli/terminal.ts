// Output helpers for the CLI: colours only when the stream is a terminal (and NO_COLOR is unset).

export interface Out {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface Styles {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
}

const wrap = (open: number, close: number) => (s: string) => `\x1b[${open}m${s}\x1b[${close}m`;

export function stylesFor(out: Out, env: Record<string, string | undefined> = process.env): Styles {
  const on = out.isTTY === true && env.NO_COLOR === undefined && env.TERM !== "dumb";
  const id = (s: string) => s;
  if (!on) return { bold: id, dim: id, red: id, green: id, yellow: id, cyan: id };
  return {
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    red: wrap(31, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    cyan: wrap(36, 39),
  };
}

/** "14:05" (minutes:seconds) for a countdown. */
export function mmss(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, "0")}`;
}
