// An incremental Server-Sent Events parser (WHATWG rules): correct whatever the chunk boundaries are — events split
// across reads, several events in one read, CRLF / CR / LF line ends, multi-line `data:`, comments, `event:` fields.
// It works on decoded text; the caller feeds it the output of a streaming TextDecoder.

export interface SseMessage {
  event: string;
  data: string;
}

export class SseParser {
  private buffer = "";
  private data: string[] = [];
  private event = "";
  /** A CR ended the last chunk: a LF at the start of the next chunk belongs to it. */
  private pendingCr = false;

  /** Feed text; returns the messages completed by it. */
  push(chunk: string): SseMessage[] {
    if (this.pendingCr) {
      this.pendingCr = false;
      if (chunk.startsWith("\n")) chunk = chunk.slice(1);
    }
    const text = this.buffer === "" ? chunk : this.buffer + chunk;
    const out: SseMessage[] = [];
    let start = 0;
    const len = text.length;
    // The next CR at or after `start`, or -1 when there is none left. Searched again only once passed: the stream
    // normally has none, and indexOf is much faster than a loop over the characters.
    let cr = text.indexOf("\r");
    while (start < len) {
      // Find the next line end (LF, CR or CRLF).
      if (cr !== -1 && cr < start) cr = text.indexOf("\r", start);
      const lf = text.indexOf("\n", start);
      const end = cr !== -1 && (lf === -1 || cr < lf) ? cr : lf;
      if (end === -1) break; // incomplete line: keep it
      const line = text.slice(start, end);
      if (text.charCodeAt(end) === 13) {
        if (end + 1 === len) {
          this.pendingCr = true;
          start = end + 1;
        } else {
          start = text.charCodeAt(end + 1) === 10 ? end + 2 : end + 1;
        }
      } else {
        start = end + 1;
      }
      this.line(line, out);
    }
    this.buffer = start >= len ? "" : text.slice(start);
    return out;
  }

  /** The stream ended: an event not terminated by a blank line is discarded, as the spec says. */
  end(): SseMessage[] {
    this.buffer = "";
    this.data = [];
    this.event = "";
    return [];
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
    if (field === "data") this.data.push(value);
    else if (field === "event") this.event = value;
    // id and retry are irrelevant for a one-shot POST stream.
  }
}
