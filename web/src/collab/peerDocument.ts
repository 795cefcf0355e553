// The copy of the session's document that y-webrtc syncs with the other editors' browsers, and the
// gate between it and the session's own document. y-webrtc applies whatever a peer sends; the
// server checks each update against the session's bounds, but an update that came peer to peer
// reaches the server from our socket, as ours: past those bounds the server would close *our*
// socket (4413) and keep refusing what our browser holds. So a peer's update reaches the session's
// document only within the bounds the server applies (RtcConfig.max_update_bytes and
// max_document_bytes), and the first one past them ends document sync with peers on this page.
import * as Y from "yjs";

/** Origins of the gate's own transactions (they are not to be sent back where they came from). */
const FROM_SESSION = Symbol("from the session");
const FROM_PEERS = Symbol("from peers");
// Room for the socket's framing around an update and for the server's own encoding of the state.
const FRAME_MARGIN = 64;
const STATE_MARGIN = 0.95;

export class PeerDocument {
  /** What y-webrtc syncs: everything the session's document holds, and what peers send. */
  readonly doc = new Y.Doc();
  /** An upper bound of the session document's encoded size (every update only adds to it). */
  private estimate: number;
  private closed = false;

  constructor(
    private readonly session: Y.Doc,
    private readonly maxUpdate: number,
    private readonly maxDocument: number,
    /** A peer's update was refused: the caller stops syncing with peers. */
    private readonly onRefused: (why: string) => void,
  ) {
    const state = Y.encodeStateAsUpdate(session);
    this.estimate = state.length;
    Y.applyUpdate(this.doc, state, FROM_SESSION);
    session.on("update", this.toPeers);
    this.doc.on("update", this.fromPeers);
  }

  destroy(): void {
    this.closed = true;
    this.session.off("update", this.toPeers);
    this.doc.off("update", this.fromPeers);
    this.doc.destroy();
  }

  private readonly toPeers = (update: Uint8Array, origin: unknown) => {
    this.estimate += update.length;
    if (origin !== FROM_PEERS) Y.applyUpdate(this.doc, update, FROM_SESSION);
  };

  private readonly fromPeers = (update: Uint8Array, origin: unknown) => {
    if (origin === FROM_SESSION || this.closed) return;
    const refusal = this.check(update);
    if (refusal) {
      this.closed = true;
      this.onRefused(refusal);
      return;
    }
    Y.applyUpdate(this.session, update, FROM_PEERS);
  };

  private check(update: Uint8Array): string | null {
    if (update.length > this.maxUpdate - FRAME_MARGIN) return "a change larger than the session takes";
    const limit = this.maxDocument * STATE_MARGIN;
    if (this.estimate + update.length > limit) {
      // The sum of updates overstates the document (repeats, merges): measure before refusing.
      this.estimate = Y.encodeStateAsUpdate(this.session).length;
      if (this.estimate + update.length > limit) return "changes that would grow the document past the session's limit";
    }
    return null;
  }
}
