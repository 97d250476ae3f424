// An incremental Server-Sent Events parser (WHATWG rules): correct whatever the chunk boundaries are — events split
// across reads, several events in one read, CRLF / CR / LF line ends, multi-line `data:`, comments, `event:` fields.
// It works on decoded text; the caller feeds it the output of a streaming TextDecoder.
//
// Linear time whatever the line lengths: each chunk is searched once, and the unfinished line is kept as a list of
// pieces joined once when its end comes (concatenating the buffer with every chunk was quadratic: a 20 MB line took
// half a minute). A line, and an event's data, may not grow past `maxLength` characters: a backend that sends more
// gets an SseTooLongError instead of the relay holding it all in memory.

export interface SseMessage {
  event: string;
  data: string;
}

/** Longest line, and longest data of one event, in characters (a generated image comes to a few MB). */
export const MAX_SSE_LINE = 32 * 1024 * 1024;

export class SseTooLongError extends Error {
  constructor(readonly limit: number) {
    super(`The backend sent an event longer than ${Math.round(limit / 2 ** 20)} MB.`);
    this.name = "SseTooLongError";
  }
}

export class SseParser {
  /** The unfinished line, in pieces. */
  private pieces: string[] = [];
  private piecesLength = 0;
  private data: string[] = [];
  private dataLength = 0;
  private event = "";
  /** A CR ended the last chunk: a LF at the start of the next chunk belongs to it. */
  private pendingCr = false;

  constructor(private readonly maxLength: number = MAX_SSE_LINE) {}

  /** Feed text; returns the messages completed by it. Throws SseTooLongError past the length cap. */
  push(chunk: string): SseMessage[] {
    let start = 0;
    if (this.pendingCr) {
      this.pendingCr = false;
      if (chunk.charCodeAt(0) === 10) start = 1;
    }
    const out: SseMessage[] = [];
    const len = chunk.length;
    // The next CR at or after `start`, or -1 when there is none left. Searched again only once passed: the stream
    // normally has none, and indexOf is much faster than a loop over the characters.
    let cr = chunk.indexOf("\r", start);
    while (start < len) {
      if (cr !== -1 && cr < start) cr = chunk.indexOf("\r", start);
      const lf = chunk.indexOf("\n", start);
      const end = cr !== -1 && (lf === -1 || cr < lf) ? cr : lf;
      if (end === -1) break; // incomplete line: keep it
      let line = chunk.slice(start, end);
      if (this.pieces.length > 0) {
        this.pieces.push(line);
        line = this.pieces.join("");
        this.pieces = [];
        this.piecesLength = 0;
      }
      if (chunk.charCodeAt(end) === 13) {
        if (end + 1 === len) {
          this.pendingCr = true;
          start = len;
        } else {
          start = chunk.charCodeAt(end + 1) === 10 ? end + 2 : end + 1;
        }
      } else {
        start = end + 1;
      }
      if (line.length > this.maxLength) this.tooLong();
      this.line(line, out);
    }
    if (start < len) {
      const rest = start === 0 ? chunk : chunk.slice(start);
      this.pieces.push(rest);
      this.piecesLength += rest.length;
      if (this.piecesLength > this.maxLength) this.tooLong();
    }
    return out;
  }

  /** The stream ended: an event not terminated by a blank line is discarded, as the spec says. */
  end(): SseMessage[] {
    this.reset();
    return [];
  }

  private reset(): void {
    this.pieces = [];
    this.piecesLength = 0;
    this.data = [];
    this.dataLength = 0;
    this.event = "";
  }

  private tooLong(): never {
    this.reset();
    throw new SseTooLongError(this.maxLength);
  }

  private line(line: string, out: SseMessage[]): void {
    if (line === "") {
      if (this.data.length > 0) {
        out.push({
          event: this.event || "message",
          data: this.data.length === 1 ? this.data[0]! : this.data.join("\n"),
        });
      }
      this.data = [];
      this.dataLength = 0;
      this.event = "";
      return;
    }
    if (line.charCodeAt(0) === 58) return; // ":" comment
    const colon = line.indexOf(":");
    let field: string;
    let value: string;
    if (colon === -1) {
      field = line;
      value = "";
    } else {
      field = line.slice(0, colon);
      value = line.charCodeAt(colon + 1) === 32 ? line.slice(colon + 2) : line.slice(colon + 1);
    }
    if (field === "data") {
      this.dataLength += value.length + 1;
      if (this.dataLength > this.maxLength) this.tooLong();
      this.data.push(value);
    } else if (field === "event") this.event = value;
    // id and retry are irrelevant for a one-shot POST stream.
  }
}
