// Sends text frames on a `ws` socket the way a turn's events come: in bursts. The frames sent during one turn of
// the event loop (those translated from one read of the backend's stream) go out in one write to the socket,
// not one system call and one wake-up of the client each; and frames under 1 KiB are sent uncompressed (a 200-byte
// delta saves little, and deflating it costs more than sending it), larger ones compressed as negotiated. With
// context takeover `ws` would otherwise compress every frame whatever its size.

import type WebSocket from "ws";

/** Frames at least this long are compressed (where permessage-deflate was negotiated). */
export const COMPRESS_FROM = 1024;

const later: (f: () => void) => void =
  typeof setImmediate === "function" ? (f) => setImmediate(f) : (f) => setTimeout(f, 0);

export function batchedSend(ws: WebSocket): (text: string) => void {
  // `ws` has no public cork; its socket is a net.Socket (absent if `ws` changes shape: frames then go one by one).
  const socket = (ws as unknown as { _socket?: { cork?(): void; uncork?(): void } })._socket;
  let corked = false;
  const uncork = () => {
    corked = false;
    socket!.uncork!();
  };
  return (text) => {
    if (!corked && typeof socket?.cork === "function" && typeof socket.uncork === "function") {
      corked = true;
      socket.cork();
      later(uncork);
    }
    ws.send(text, { compress: text.length >= COMPRESS_FROM });
  };
}
