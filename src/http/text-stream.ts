// Turns an async iterable of text into a byte stream for a streaming Response. Pull-based, so a slow client slows
// the reading of the backend (backpressure) instead of the relay buffering the answer. Cancelling the stream (the
// client went away) aborts the backend request at once through `abort`, even while a read is pending.
//
// Pieces that are ready at the same time — the frames translated from one read of the backend's stream — go out as
// one chunk: one trip through the web stream, the encoder and the HTTP response per read instead of one per frame
// (a fifth less CPU for a 500-word answer in `npm run bench`). A piece is waited for only until the event loop's
// next turn, so a stream that trickles in is not delayed.

const encoder = new TextEncoder();

/** A chunk holds at most this many characters, and this many pieces (empty pieces must not loop forever). */
const MAX_CHUNK = 16 * 1024;
const MAX_PIECES = 1024;
const NOT_YET = Symbol("not yet");
const schedule: (f: () => void) => void =
  typeof setImmediate === "function" ? (f) => setImmediate(f) : (f) => setTimeout(f, 0);
/** Resolves on the event loop's next turn: after everything already resolvable (microtasks) has run. */
const nextTurn = () => new Promise<typeof NOT_YET>((resolve) => schedule(() => resolve(NOT_YET)));

export function textStream(
  source: AsyncIterable<string>,
  abort: AbortController,
): ReadableStream<Uint8Array> {
  const it = source[Symbol.asyncIterator]();
  /** A next() that was not ready when the last chunk went out: the next pull starts with it. */
  let carried: Promise<IteratorResult<string>> | undefined;
  let started = false;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          // Until there is something to send: a pull that enqueues nothing is not called again.
          for (;;) {
            const first = await (carried ?? it.next());
            carried = undefined;
            if (first.done) return controller.close();
            let text = first.value;
            let done = false;
            const turn = nextTurn();
            // The first piece goes out alone: the client's first byte must not wait for the translation of all that
            // the backend has sent already.
            const maxPieces = started ? MAX_PIECES : 1;
            started = true;
            for (let pieces = 1; text.length < MAX_CHUNK && pieces < maxPieces; pieces++) {
              const next = it.next();
              // Not ready yet, or failed: what is joined so far goes out first; the next pull starts with `next`
              // (handled here, so that a rejection while nobody waits is not "unhandled").
              const r = await Promise.race([next, turn]).catch((): typeof NOT_YET => NOT_YET);
              if (r === NOT_YET) {
                next.catch(() => {});
                carried = next;
                break;
              }
              if (r.done) {
                done = true;
                break;
              }
              text += r.value;
            }
            if (text !== "") controller.enqueue(encoder.encode(text));
            if (done) return controller.close();
            if (text !== "") return;
          }
        } catch (err) {
          controller.error(err);
        }
      },
      cancel() {
        abort.abort();
        void it.return?.(undefined)?.catch(() => {});
      },
    },
    { highWaterMark: 0 },
  );
}

/** An AbortController that follows `parent` (the incoming request's signal) and can also be aborted on its own. */
export function linkedAbort(parent: AbortSignal | undefined): AbortController {
  const controller = new AbortController();
  if (parent) {
    if (parent.aborted) controller.abort();
    else parent.addEventListener("abort", () => controller.abort(), { once: true });
  }
  return controller;
}
