// Peer-to-peer links between a session's participants (y-webrtc): the document over data channels
// between editors, and voice between those who join it. The gateway is the signaling server
// (WS .../signal: it admits participants only, names the rooms, binds each peer id to one socket
// and tells us which participant a peer is); the WebSocket document stays the source of
// persistence and the path for anyone whose peer connection fails. Media never reach our servers.
import { signal } from "@preact/signals";
import { Awareness } from "y-protocols/awareness";
import { WebrtcProvider, type SignalingConn } from "y-webrtc";
import * as Y from "yjs";
import { PeerDocument } from "./peerDocument";
import type { CollabSession } from "./session";
import type { RtcConfig } from "./api";

export type VoiceState = "off" | "asking" | "on" | "denied" | "failed";

/** Another participant's voice, as this page receives it. */
export interface RemoteVoice {
  peer: string;
  participantId: string | null;
  /** connecting: the peer connection is being made; connected: its audio track is live. */
  state: "connecting" | "connected";
  /** What the other says of itself (its awareness in the voice room). */
  muted: boolean;
  /** Audio energy received over the last second (0: silence, nothing arriving). */
  level: number;
}

/** A server message on the signaling socket beside y-webrtc's own `publish`es. */
interface ServerMessage {
  type: string;
  topic?: string;
  participant?: string;
  peers?: unknown;
  role?: string;
  rooms?: { document?: string | null };
  data?: { from?: unknown };
}

interface SimplePeer {
  connected: boolean;
  on(event: string, listener: (...args: never[]) => void): void;
  getStats(callback: (error: Error | null, reports: RTCStats[]) => void): void;
}

// Close codes after which signaling must not retry (lib0 reconnects on anything); 4404: WebRTC
// was turned off on the server.
const FINAL_CLOSES = new Set([4400, 4401, 4403, 4404, 4410]);
const STATS_EVERY_MS = 1_000;
const CONNECT_TIMEOUT_MS = 30_000;
const REFRESH_BEFORE_MS = 10 * 60_000;
const MIN_REFRESH_MS = 60_000;

function iceConfig(config: RtcConfig): RTCConfiguration {
  return {
    iceServers: config.ice_servers.map((server) => ({
      urls: server.urls,
      ...(server.username ? { username: server.username } : {}),
      ...(server.credential ? { credential: server.credential } : {}),
    })),
    iceTransportPolicy: config.ice_transport_policy,
  };
}

/** Destroying a provider leaves its signaling socket open (shared, by URL, between providers):
 * disconnecting first closes the socket once no provider uses it. */
function close(provider: WebrtcProvider): void {
  provider.disconnect();
  provider.destroy();
}

export class PeerLinks {
  /** Editors connected to us over a data channel, for the document. */
  readonly documentPeers = signal(0);
  readonly voice = signal<VoiceState>("off");
  readonly muted = signal(false);
  readonly remotes = signal<RemoteVoice[]>([]);
  /** Which participant each peer id is, as the server says (never as the peer says). */
  readonly participantOf = new Map<string, string>();

  /** Why document sync with peers stopped for good on this page (a peer's update was refused). */
  readonly documentStopped = signal("");

  private document: WebrtcProvider | null = null;
  private gate: PeerDocument | null = null;
  private voiceLink: { provider: WebrtcProvider; doc: Y.Doc; stream: MediaStream } | null = null;
  private readonly audio = new Map<string, HTMLAudioElement>();
  /** Each remote's received audio energy and duration so far (RTCInboundRtpStreamStats). */
  private readonly energy = new Map<string, { energy: number; duration: number }>();
  private readonly listening = new WeakSet<object>();
  private statsTimer = 0;
  private refreshTimer = 0;
  private stopped = false;
  private readonly signalingUrl: string;

  constructor(
    private readonly session: CollabSession,
    private config: RtcConfig,
    /** Someone the page's participant list does not know yet spoke up: refresh it. */
    private readonly onUnknownParticipant: (participantId: string) => void = () => {},
    /** The configuration again (new TURN credentials before these expire). */
    private readonly refetch: () => Promise<RtcConfig> = async () => config,
  ) {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    this.signalingUrl = `${scheme}//${location.host}${config.signaling_url}`;
    this.setDocumentRoom(config.rooms.document ?? null);
    this.scheduleRefresh();
  }

  /** Ended, refused or left: close every peer connection and the signaling socket. */
  destroy(): void {
    this.stopped = true;
    window.clearTimeout(this.refreshTimer);
    this.leaveVoice();
    this.setDocumentRoom(null);
  }

  /** The session's role changed (the server also moves our signaling socket between rooms). */
  roleChanged(role: string): void {
    if (role === "viewer") this.setDocumentRoom(null);
  }

  async joinVoice(): Promise<void> {
    if (this.stopped || this.voice.value === "on" || this.voice.value === "asking") return;
    this.voice.value = "asking";
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
        video: false,
      });
    } catch (error) {
      this.voice.value = error instanceof DOMException && error.name === "NotAllowedError" ? "denied" : "failed";
      return;
    }
    if (this.stopped) {
      for (const track of stream.getTracks()) track.stop();
      return;
    }
    this.muted.value = false;
    // A document of its own, never persisted: y-webrtc's rooms carry a Y.Doc; the voice room's
    // only use of it is its awareness (who is muted).
    const doc = new Y.Doc();
    const awareness = new Awareness(doc);
    const provider = new WebrtcProvider(this.config.rooms.voice, doc, {
      signaling: [this.signalingUrl],
      awareness,
      filterBcConns: false,
      peerOpts: { stream, config: iceConfig(this.config) },
    });
    this.voiceLink = { provider, doc, stream };
    this.listen(provider);
    provider.on("peers", ({ added, removed }) => {
      for (const peer of added) this.watchVoicePeer(provider, peer);
      for (const peer of removed) this.forgetVoicePeer(peer);
    });
    awareness.on("change", () => this.updateRemoteMutes());
    this.announceMute();
    this.statsTimer = window.setInterval(() => void this.sampleLevels(), STATS_EVERY_MS);
    this.voice.value = "on";
  }

  setMuted(muted: boolean): void {
    const link = this.voiceLink;
    if (!link) return;
    // A disabled track sends silence: the others' connection stays up, nothing they can hear.
    for (const track of link.stream.getAudioTracks()) track.enabled = !muted;
    this.muted.value = muted;
    this.announceMute();
  }

  leaveVoice(): void {
    const link = this.voiceLink;
    window.clearInterval(this.statsTimer);
    if (link) {
      this.voiceLink = null;
      for (const track of link.stream.getTracks()) track.stop();
      close(link.provider);
      link.doc.destroy();
    }
    for (const element of this.audio.values()) element.srcObject = null;
    this.audio.clear();
    this.energy.clear();
    this.remotes.value = [];
    if (this.voice.value !== "denied" && this.voice.value !== "failed") this.voice.value = "off";
  }

  /** TURN credentials expire (RtcConfig.expires_at): connections made later need new ones. Each
   * provider reads its peerOpts whenever it makes a connection, so new ones take effect there. */
  private scheduleRefresh(): void {
    if (!this.config.expires_at || this.stopped) return;
    const due = Date.parse(this.config.expires_at) - Date.now() - REFRESH_BEFORE_MS;
    this.refreshTimer = window.setTimeout(
      () => {
        void this.refetch()
          .then((config) => {
            this.config = { ...config, rooms: this.config.rooms };
            for (const provider of [this.document, this.voiceLink?.provider]) {
              if (provider) provider.peerOpts = { ...provider.peerOpts, config: iceConfig(this.config) };
            }
          })
          .catch(() => {})
          .finally(() => this.scheduleRefresh());
      },
      Math.max(due, MIN_REFRESH_MS),
    );
  }

  // --- the document room ---------------------------------------------------------------------

  private setDocumentRoom(room: string | null): void {
    if (this.document && this.document.roomName !== room) {
      close(this.document);
      this.document = null;
      this.gate?.destroy();
      this.gate = null;
      this.documentPeers.value = 0;
    }
    if (!room || this.document || this.stopped || this.documentStopped.value) return;
    // Peers' updates pass a gate with the server's bounds on their way to the session's document.
    const gate = new PeerDocument(
      this.session.doc,
      this.config.max_update_bytes,
      this.config.max_document_bytes,
      (why) => {
        this.documentStopped.value = `Editing peer to peer stopped: a participant sent ${why}. Your edits still go through the server.`;
        // After the gate's own update handler returns.
        queueMicrotask(() => this.setDocumentRoom(null));
      },
    );
    this.gate = gate;
    // Its own awareness, not the session's: cursors and names go through the server, which
    // vouches for who is who; a peer could claim any name over a data channel.
    const provider = new WebrtcProvider(room, gate.doc, {
      signaling: [this.signalingUrl],
      awareness: new Awareness(gate.doc),
      filterBcConns: false,
      peerOpts: { config: iceConfig(this.config) },
    });
    this.document = provider;
    this.listen(provider);
    const count = () => {
      const conns = provider.room?.webrtcConns;
      this.documentPeers.value = conns ? [...conns.values()].filter((conn) => conn.connected).length : 0;
    };
    provider.on("peers", ({ added }) => {
      for (const peer of added) {
        const conn = provider.room?.webrtcConns.get(peer);
        const simple = conn?.peer as SimplePeer | undefined;
        simple?.on("connect", count);
        simple?.on("close", count);
      }
      count();
    });
  }

  // --- the signaling socket ------------------------------------------------------------------

  /** Our own handling of the server's messages on a provider's signaling socket (shared by URL). */
  private listen(provider: WebrtcProvider): void {
    for (const conn of provider.signalingConns as SignalingConn[]) {
      if (this.listening.has(conn)) continue;
      this.listening.add(conn);
      conn.on("message", (message: ServerMessage) => this.onSignal(message));
      const watchClose = () => {
        conn.ws?.addEventListener("close", (event) => {
          if (FINAL_CLOSES.has(event.code)) this.destroy();
        });
      };
      conn.on("connect", watchClose);
      watchClose();
    }
  }

  private onSignal(message: ServerMessage): void {
    if (message.type === "publish" && typeof message.participant === "string") {
      const from = message.data?.from;
      if (typeof from === "string" && !this.participantOf.has(from)) {
        this.participantOf.set(from, message.participant);
        this.onUnknownParticipant(message.participant);
        this.updateRemotes((remote) => (remote.peer === from ? { ...remote, participantId: message.participant! } : remote));
      }
    } else if (message.type === "drop" && Array.isArray(message.peers)) {
      // The server took someone out (revoked, or no longer an editor): close our links to them.
      for (const provider of [this.document, this.voiceLink?.provider]) {
        if (!provider || (message.topic && provider.roomName !== message.topic)) continue;
        for (const peer of message.peers) {
          if (typeof peer === "string") provider.room?.webrtcConns.get(peer)?.destroy();
        }
      }
    } else if (message.type === "role") {
      if (message.role === "viewer") this.setDocumentRoom(null);
      else if (message.role === "editor" && message.rooms?.document) {
        this.config = { ...this.config, rooms: { ...this.config.rooms, document: message.rooms.document } };
        this.setDocumentRoom(message.rooms.document);
      }
    }
  }

  // --- voice ---------------------------------------------------------------------------------

  private watchVoicePeer(provider: WebrtcProvider, peer: string): void {
    const conn = provider.room?.webrtcConns.get(peer);
    const simple = conn?.peer as SimplePeer | undefined;
    if (!conn || !simple) return;
    this.updateRemotes((remote) => remote, {
      peer,
      participantId: this.participantOf.get(peer) ?? null,
      state: "connecting",
      muted: false,
      level: 0,
    });
    simple.on("stream", (stream: MediaStream) => {
      // Played by an element of its own (not in the page): what the browser's output device gets.
      const element = new Audio();
      element.autoplay = true;
      element.srcObject = stream;
      void element.play().catch(() => {});
      this.audio.set(peer, element);
      this.updateRemotes((remote) => (remote.peer === peer ? { ...remote, state: "connected" } : remote));
      this.updateRemoteMutes();
    });
    simple.on("close", () => this.forgetVoicePeer(peer));
    // A connection that never comes up (no route between the two, a peer gone mid-offer) is
    // given up rather than shown as connecting for ever; y-webrtc announces again afterwards.
    window.setTimeout(() => {
      if (!simple.connected) conn.destroy();
    }, CONNECT_TIMEOUT_MS);
  }

  private forgetVoicePeer(peer: string): void {
    const element = this.audio.get(peer);
    if (element) element.srcObject = null;
    this.audio.delete(peer);
    this.energy.delete(peer);
    this.remotes.value = this.remotes.value.filter((remote) => remote.peer !== peer);
  }

  private announceMute(): void {
    const link = this.voiceLink;
    const peer = link?.provider.room?.peerId;
    if (!link) return;
    if (peer) link.provider.awareness.setLocalState({ peer, muted: this.muted.value });
    // The room is made a moment after the provider (y-webrtc awaits its key): say it then.
    else setTimeout(() => this.announceMute(), 50);
  }

  private updateRemoteMutes(): void {
    const link = this.voiceLink;
    if (!link) return;
    const muted = new Map<string, boolean>();
    link.provider.awareness.getStates().forEach((state) => {
      if (typeof state.peer === "string") muted.set(state.peer, state.muted === true);
    });
    this.updateRemotes((remote) => ({ ...remote, muted: muted.get(remote.peer) ?? remote.muted }));
  }

  private async sampleLevels(): Promise<void> {
    const provider = this.voiceLink?.provider;
    if (!provider) return;
    const levels = new Map<string, number>();
    await Promise.all(
      [...this.audio.keys()].map(async (peer) => {
        const simple = provider.room?.webrtcConns.get(peer)?.peer as SimplePeer | undefined;
        if (!simple) return;
        const reports = await new Promise<RTCStats[]>((resolve) =>
          simple.getStats((error, found) => resolve(error ? [] : found)),
        );
        const inbound = reports.find(
          (report) => report.type === "inbound-rtp" && (report as { kind?: string }).kind === "audio",
        ) as { totalAudioEnergy?: number; totalSamplesDuration?: number } | undefined;
        const now = { energy: inbound?.totalAudioEnergy ?? 0, duration: inbound?.totalSamplesDuration ?? 0 };
        const before = this.energy.get(peer);
        this.energy.set(peer, now);
        if (!before) return;
        // The root mean square of what arrived since the last sample (0 to 1): silence is 0.
        const seconds = now.duration - before.duration;
        levels.set(peer, seconds > 0 ? Math.sqrt(Math.max(0, now.energy - before.energy) / seconds) : 0);
      }),
    );
    this.updateRemotes((remote) => (levels.has(remote.peer) ? { ...remote, level: levels.get(remote.peer)! } : remote));
  }

  private updateRemotes(change: (remote: RemoteVoice) => RemoteVoice, add?: RemoteVoice): void {
    let next = this.remotes.value.map(change);
    if (add && !next.some((remote) => remote.peer === add.peer)) next = [...next, add];
    if (JSON.stringify(next) !== JSON.stringify(this.remotes.value)) this.remotes.value = next;
  }
}
