// A live session's shared document: a Y.Doc synced with the gateway over y-websocket, kept in
// IndexedDB (edits made offline survive a reload and merge on reconnect), and its state as signals.
// Loaded only with the session page (yjs and friends stay out of the main bundle).
import { signal } from "@preact/signals";
import * as decoding from "lib0/decoding";
import { IndexeddbPersistence } from "y-indexeddb";
import { WebsocketProvider } from "y-websocket";
import * as Y from "yjs";

export type Status = "connecting" | "connected" | "offline" | "ended" | "refused";
export type Role = "owner" | "editor" | "viewer";

/** Someone connected now, as their awareness state says (the server rewrites `user`). */
export interface Presence {
  clientId: number;
  name: string;
  color: string;
  role: string;
  self: boolean;
}

/** A session event (message type 100): welcome, role, revoked, ended, error, run, saved. */
export interface SessionEvent {
  type: string;
  [field: string]: unknown;
}

export interface Me {
  participantId: string;
  name: string;
  color: string;
  role: Role;
}

/** The server's own message type on the socket: varString(JSON). */
export const MESSAGE_SESSION_EVENT = 100;

// Close codes that end the session for this client (y-websocket stops reconnecting on 44xx itself).
const CLOSES: Record<number, { status: "ended" | "refused"; message: string; forget: boolean }> = {
  4401: { status: "refused", message: "You are not (or no longer) a participant of this session.", forget: true },
  4403: { status: "refused", message: "You were removed from this session.", forget: true },
  4410: { status: "ended", message: "The owner ended this session.", forget: true },
  4413: {
    status: "refused",
    message: "The document grew past the session's size limit; your last change was not kept.",
    forget: false,
  },
  4429: { status: "refused", message: "The session is full: try again when someone leaves.", forget: false },
};

// After this many attempts in a row that never opened, ask the REST API what is going on (a server
// that refuses the upgrade itself is seen by browsers as 1006, like a network error).
const PROBE_AFTER = 3;

export class CollabSession {
  readonly doc = new Y.Doc();
  readonly files: Y.Map<Y.Text> = this.doc.getMap<Y.Text>("files");
  readonly meta: Y.Map<unknown> = this.doc.getMap<unknown>("meta");
  readonly provider: WebsocketProvider;
  readonly persistence: IndexeddbPersistence;

  readonly status = signal<Status>("connecting");
  /** Why the session ended or refused us, or the server's last error message. */
  readonly message = signal("");
  readonly role = signal<Role>("viewer");
  /** The file names in tab order (meta.order, then any file it does not list). */
  readonly order = signal<string[]>([]);
  /** Bumped whenever the files map changes (a file's Y.Text added, replaced or removed). */
  readonly filesChanged = signal(0);
  readonly language = signal("");
  readonly people = signal<Presence[]>([]);

  private readonly participantId: string;
  private readonly undo = new Map<Y.Text, Y.UndoManager>();
  private readonly listeners = new Set<(event: SessionEvent) => void>();
  private failedOpens = 0;
  /** The current attempt opened (a close after it is not a refused upgrade). */
  private opened = false;
  private everConnected = false;
  private finished = false;

  constructor(
    readonly id: string,
    me: Me,
    private readonly probe: () => Promise<{ status: "ended" | "refused"; message: string } | null> = async () => null,
  ) {
    this.role.value = me.role;
    this.participantId = me.participantId;
    this.persistence = new IndexeddbPersistence(`crh-collab-${id}`, this.doc);

    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    // URL: <serverUrl>/<roomname> = /v1/collab/sessions/{id}/socket; the participant cookie set by
    // the join authenticates it. No BroadcastChannel: every tab goes through the server, which alone
    // decides who may edit.
    this.provider = new WebsocketProvider(`${scheme}//${location.host}/v1/collab/sessions/${id}`, "socket", this.doc, {
      connect: false,
      disableBc: true,
    });
    this.provider.messageHandlers[MESSAGE_SESSION_EVENT] = (_encoder, decoder) => {
      let event: SessionEvent;
      try {
        event = JSON.parse(decoding.readVarString(decoder)) as SessionEvent;
      } catch {
        return;
      }
      this.handle(event);
    };
    this.provider.on("status", ({ status }) => {
      if (this.finished) return;
      if (status === "connected") {
        this.everConnected = true;
        this.failedOpens = 0;
        this.opened = true;
      }
      this.status.value = status === "connected" ? "connected" : this.everConnected ? "offline" : "connecting";
    });
    this.provider.on("connection-close", (event) => {
      if (this.finished || !event) return;
      if (CLOSES[event.code] || (event.code >= 4400 && event.code < 4500)) return; // "closed" follows
      if (!this.opened && ++this.failedOpens >= PROBE_AFTER) {
        this.failedOpens = 0;
        void this.probe().then((verdict) => verdict && this.finish(verdict.status, verdict.message, true));
      }
      this.opened = false;
    });
    this.provider.on("closed", ({ code, reason }) => {
      const known = CLOSES[code];
      const refusedFirst = code === 4403 && !this.everConnected;
      this.finish(
        known?.status ?? "refused",
        refusedFirst
          ? "You can't join this session."
          : (known?.message ?? `The server closed the session (${code}${reason ? `: ${reason}` : ""}).`),
        known?.forget ?? false,
      );
    });

    const awareness = this.provider.awareness;
    awareness.setLocalStateField("user", { name: me.name, color: me.color, colorLight: `${me.color}33` });
    awareness.on("change", () => this.updatePeople());
    this.updatePeople();

    this.files.observe(() => {
      this.filesChanged.value++;
      this.updateFiles();
    });
    this.meta.observe(() => this.updateFiles());
    this.updateFiles();
    addEventListener("offline", this.goneOffline);
  }

  connect(): void {
    this.provider.connect();
  }

  /** Every session event, after this class handled its own (role, ended, error): runs, saves. */
  onEvent(listener: (event: SessionEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** One undo history per file, kept across tab switches; only this client's edits are undone. */
  undoManagerFor(text: Y.Text): Y.UndoManager {
    let manager = this.undo.get(text);
    if (!manager) {
      manager = new Y.UndoManager(text);
      this.undo.set(text, manager);
    }
    return manager;
  }

  destroy(): void {
    removeEventListener("offline", this.goneOffline);
    this.provider.destroy();
    void this.persistence.destroy();
    for (const manager of this.undo.values()) manager.destroy();
    this.doc.destroy();
  }

  private handle(event: SessionEvent): void {
    // Events about one participant (role) are for that participant only.
    const forOther = typeof event.participant_id === "string" && event.participant_id !== this.participantId;
    if (event.type === "role" && !forOther && (event.role === "editor" || event.role === "viewer")) {
      if (this.role.value !== "owner") this.role.value = event.role;
      this.updatePeople();
    } else if (event.type === "ended") {
      this.finish("ended", "The owner ended this session.", true);
    } else if (event.type === "error" && typeof event.message === "string") {
      this.message.value = event.message;
    }
    for (const listener of this.listeners) listener(event);
  }

  /** Ended or refused: stop syncing, keep the text on screen; `forget` drops the local copy. */
  private finish(status: "ended" | "refused", message: string, forget: boolean): void {
    if (this.finished) return;
    this.finished = true;
    this.status.value = status;
    this.message.value = message;
    this.provider.disconnect();
    if (forget) void this.persistence.clearData();
  }

  private readonly goneOffline = () => {
    if (!this.finished && this.everConnected) this.status.value = "offline";
  };

  private updateFiles(): void {
    const names = [...this.files.keys()];
    const order = parseOrder(this.meta.get("order")).filter((name) => this.files.has(name));
    for (const name of names.sort()) if (!order.includes(name)) order.push(name);
    if (order.join("\0") !== this.order.value.join("\0")) this.order.value = order;
    const language = this.meta.get("language");
    this.language.value = typeof language === "string" ? language : "";
  }

  private updatePeople(): void {
    const awareness = this.provider.awareness;
    const all: Presence[] = [];
    awareness.getStates().forEach((state, clientId) => {
      const user = state.user as { name?: unknown; color?: unknown; role?: unknown } | undefined;
      if (!user || typeof user.name !== "string") return;
      const self = clientId === awareness.clientID;
      all.push({
        clientId,
        name: user.name,
        color: typeof user.color === "string" ? user.color : "#71717a",
        role: self ? this.role.value : typeof user.role === "string" ? user.role : "",
        self,
      });
    });
    // You first; the same person in two tabs once.
    all.sort((a, b) => Number(b.self) - Number(a.self));
    const seen = new Set<string>();
    const people = all.filter((p) => {
      const key = `${p.name}\0${p.color}`;
      return !seen.has(key) && !!seen.add(key);
    });
    // Cursor moves change awareness too: the list changes only when who is here does.
    const key = (list: Presence[]) => JSON.stringify(list);
    if (key(people) !== key(this.people.value)) this.people.value = people;
  }
}

/** meta.order: a JSON array of names, stored as a string or as a plain array (or a Y.Array). */
export function parseOrder(value: unknown): string[] {
  let list: unknown = value;
  if (typeof value === "string") {
    try {
      list = JSON.parse(value);
    } catch {
      return [];
    }
  } else if (value instanceof Y.Array) {
    list = value.toArray();
  }
  return Array.isArray(list) ? list.filter((name): name is string => typeof name === "string") : [];
}
