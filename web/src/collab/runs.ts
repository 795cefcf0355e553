// A live session's shared run, as every participant sees it: an editor starts it (POST .../runs),
// every socket of the session hears of it (a `run` event), and each page follows its stream (the
// frames of the execution's own stream, admitted by the session). A page that arrives later asks
// for the current run. One run is shown at a time: a newer one replaces it.
import { computed, signal } from "@preact/signals";
import { ApiError, describe, wsUrl, type Execution } from "../api/client";
import { frameHandler, type Frame, type OutputChunk, type RunCallbacks } from "../run/runner";
import { cancelRun, currentRun, startRun, typeInput, type SharedRun } from "./api";
import type { CollabSession, SessionEvent } from "./session";

/** A run as shown: who started it, in their colour (null while unknown). */
export interface ShownRun extends SharedRun {
  color: string | null;
}

// The gateway went away (1012), the connection broke (1006), it lost Redis (1011) or we fell
// behind (1013): reconnect, and the stream replays from its first frame (docs/api.md).
const RECONNECT_CODES = new Set([1006, 1011, 1012, 1013]);
const RECONNECTS = 5;

function closeMessage(code: number, reason: string): string {
  if (code === 4404) return "This run is not one of this session's runs.";
  if (code === 4401 || code === 4403) return "You can no longer watch this session's runs.";
  if (code === 4410) return "The session ended before the run's output arrived.";
  return `The output stream closed (${code}${reason ? `: ${reason}` : ""}) before the result.`;
}

/** Closes a socket without the browser's "closed before the connection is established" error. */
function shut(socket: WebSocket): void {
  if (socket.readyState === WebSocket.CONNECTING) socket.onopen = () => socket.close(1000);
  else if (socket.readyState === WebSocket.OPEN) socket.close(1000);
}

/** Every frame of a stream URL, once each, up to the result; reconnects when the gateway goes
 * away. Returns the function that stops following it. */
export function followStream(stream: string, callbacks: RunCallbacks): () => void {
  const handle = frameHandler(callbacks);
  let socket: WebSocket | null = null;
  let finished = false;
  let attempts = 0;
  let timer: number | undefined;
  const open = () => {
    const ws = new WebSocket(wsUrl(stream));
    socket = ws;
    ws.onmessage = (event) => {
      if (finished) return;
      attempts = 0;
      let frame: Frame;
      try {
        frame = JSON.parse(event.data as string) as Frame;
      } catch {
        return;
      }
      if (handle(frame)) {
        finished = true;
        shut(ws);
      }
    };
    ws.onclose = (event) => {
      if (finished) return;
      if (RECONNECT_CODES.has(event.code) && attempts < RECONNECTS) {
        attempts++;
        timer = window.setTimeout(open, Math.min(250 * 2 ** attempts, 5_000));
        return;
      }
      finished = true;
      callbacks.onError(closeMessage(event.code, event.reason));
    };
  };
  open();
  return () => {
    finished = true;
    window.clearTimeout(timer);
    if (socket) shut(socket);
  };
}

function statusLabel(value: string, phase?: string): string {
  return phase === "compile" ? "Compiling…" : value === "running" ? "Running…" : value;
}

function isRunEvent(event: SessionEvent): event is SessionEvent & SharedRun {
  return event.type === "run" && typeof event.execution_id === "string" && typeof event.stream === "string";
}

export class SharedRuns {
  readonly run = signal<ShownRun | null>(null);
  readonly chunks = signal<OutputChunk[]>([]);
  readonly result = signal<Execution | null>(null);
  readonly status = signal("");
  /** Why the shown run's output stopped arriving. */
  readonly error = signal("");
  /** Why a start or a stop failed. */
  readonly message = signal("");
  /** A start or a stop under way. */
  readonly busy = signal(false);
  /** The next run is interactive: editors type its input as it runs. */
  readonly interactive = signal(false);
  /** Run was asked for while a run is going: offer to stop that one and run. */
  readonly conflict = signal(false);
  /** The shown run is still going (as far as its stream says). */
  readonly going = computed(() => this.run.value !== null && this.result.value === null && !this.error.value);

  private unfollow: (() => void) | null = null;
  private readonly off: () => void;

  constructor(
    readonly sessionId: string,
    session: CollabSession,
    private readonly colorOf: (run: SharedRun) => string | null,
  ) {
    this.off = session.onEvent((event) => {
      if (isRunEvent(event)) this.show(event, typeof event.runner_color === "string" ? event.runner_color : null);
    });
  }

  /** The current (or last) run, unless one as new is shown already (null: none yet). */
  async load(): Promise<void> {
    try {
      const current = await currentRun(this.sessionId);
      if (current) this.show(current);
    } catch (error) {
      if (!this.run.value) {
        this.message.value = `Could not load the session's last run: ${describe(error)}`;
      }
    }
  }

  /** Run the document as it stands (`replace` stops a run still going first). */
  async start(stdin: string, replace = false): Promise<void> {
    if (this.busy.value) return;
    this.message.value = "";
    if (!replace && this.going.value) {
      this.conflict.value = true;
      return;
    }
    this.conflict.value = false;
    this.busy.value = true;
    try {
      this.show(await startRun(this.sessionId, stdin, replace, this.interactive.value));
    } catch (error) {
      // Someone started one a moment ago, before its event arrived here.
      if (error instanceof ApiError && error.status === 409 && error.problem.type?.endsWith("collab-run-in-progress")) {
        this.conflict.value = true;
      } else {
        this.message.value = describe(error);
      }
    } finally {
      this.busy.value = false;
    }
  }

  /** Type into the shown interactive run (its output, everyone's, shows what the program made of it). */
  async send(data: string, eof = false): Promise<void> {
    const run = this.run.value;
    if (!run?.interactive) return;
    this.message.value = "";
    try {
      await typeInput(this.sessionId, run.execution_id, data, eof);
    } catch (error) {
      this.message.value = `Could not send the input: ${describe(error)}`;
    }
  }

  /** Cancel the shown run: its stream brings the cancelled result (or the one it finished with). */
  async stop(): Promise<void> {
    const run = this.run.value;
    if (!run || this.busy.value) return;
    this.busy.value = true;
    this.message.value = "";
    this.status.value = "Stopping…";
    try {
      await cancelRun(this.sessionId, run.execution_id);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 409)) {
        this.message.value = `Could not stop the run: ${describe(error)}`;
      }
    } finally {
      this.busy.value = false;
    }
  }

  dismissConflict(): void {
    this.conflict.value = false;
  }

  destroy(): void {
    this.off();
    this.unfollow?.();
    this.unfollow = null;
  }

  /** Follow `run`'s stream, closing the one shown before; the same run again only adds its colour. */
  private show(run: SharedRun, color: string | null = null): void {
    const shown = this.run.value;
    if (shown?.execution_id === run.execution_id) {
      if (color && shown.color !== color) this.run.value = { ...shown, color };
      return;
    }
    if (shown && Date.parse(run.started_at) < Date.parse(shown.started_at)) return;
    this.unfollow?.();
    this.conflict.value = false;
    this.run.value = {
      execution_id: run.execution_id,
      runner_participant_id: run.runner_participant_id,
      runner_name: run.runner_name,
      started_at: run.started_at,
      interactive: run.interactive === true,
      stream: run.stream,
      color: color ?? this.colorOf(run),
    };
    this.chunks.value = [];
    this.result.value = null;
    this.error.value = "";
    this.status.value = "Queued";
    this.unfollow = followStream(run.stream, {
      onCreated: () => undefined,
      onStatus: (value, phase) => {
        if (this.status.value !== "Stopping…") this.status.value = statusLabel(value, phase);
      },
      onOutput: (chunk) => {
        this.chunks.value = [...this.chunks.value, chunk];
      },
      onResult: (execution) => {
        this.result.value = execution;
        this.status.value = "Finished";
      },
      onError: (message) => {
        this.error.value = message;
        this.status.value = "";
      },
    });
  }
}
