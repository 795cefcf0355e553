// The WebSockets: opening one with credentials (a header where the implementation can send one,
// else a single-use stream ticket), reading its frames in order, and an execution's stream.
import { problem, StreamError, type ProblemError } from "./errors.js";
import { isKnown, parseFrame, type ErrorFrame, type Frame, type StreamFrame, type UnknownFrame } from "./frames.js";
import { pathOf, sleep, type Transport } from "./http.js";
import type { Encoding, StreamTicket } from "./types.js";

/** What the SDK needs of a WebSocket: the browser's, Node 22's global one, or the `ws` package's. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: string, listener: (event: any) => void): void;
}

/** A WebSocket class: `globalThis.WebSocket`, or `ws`'s (which also takes `{headers}` as a third argument). */
export type WebSocketConstructor = new (url: string, protocols?: string | string[], options?: any) => unknown;

/** How sockets authenticate: an Authorization header (Node with `ws`) or a stream ticket (browsers). */
export type SocketAuth = "header" | "ticket";

export interface SocketContext {
  transport: Transport;
  WebSocket: WebSocketConstructor | undefined;
  auth: SocketAuth;
}

export interface Closed {
  code: number;
  reason: string;
}

// The gateway closes with these when it is going away (1012) or the connection broke (1006):
// reconnect, and the stream is replayed from its first frame (docs/api.md).
const RECONNECT_CODES = new Set([1006, 1011, 1012]);
const OPEN = 1;

function text(data: unknown): string {
  if (typeof data === "string") return data;
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) {
    return new TextDecoder().decode(data as ArrayBuffer | ArrayBufferView);
  }
  return String(data);
}

/** One open socket: its frames queued as they arrive, read in order with `next()`. */
export class SocketReader {
  readonly opened: Promise<boolean>;
  closed: Closed | null = null;
  private frames: (Frame | UnknownFrame)[] = [];
  private failure: unknown = null;
  private wake: (() => void) | null = null;

  constructor(
    readonly socket: WebSocketLike,
    onFrame?: (frame: Frame | UnknownFrame) => void,
    onClose?: (closed: Closed) => void,
  ) {
    this.opened = new Promise((resolve) => {
      socket.addEventListener("open", () => resolve(true));
      socket.addEventListener("close", () => resolve(false));
    });
    socket.addEventListener("message", (event: { data: unknown }) => {
      try {
        const frame = parseFrame(text(event.data));
        this.frames.push(frame);
        onFrame?.(frame);
      } catch (error) {
        this.failure = error;
        socket.close(1002, "unparseable frame");
      }
      this.notify();
    });
    socket.addEventListener("close", (event: { code?: number; reason?: string }) => {
      this.closed = { code: event.code ?? 1006, reason: event.reason ?? "" };
      onClose?.(this.closed);
      this.notify();
    });
    // An error event is always followed by a close event (1006): that one ends the reader.
    socket.addEventListener("error", () => undefined);
  }

  /** The next frame, or null once the socket closed and every frame was read. */
  async next(): Promise<Frame | UnknownFrame | null> {
    for (;;) {
      const frame = this.frames.shift();
      if (frame !== undefined) return frame;
      if (this.failure !== null) throw this.failure;
      if (this.closed !== null) return null;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  send(data: string | Uint8Array): void {
    if (this.socket.readyState !== OPEN) throw new StreamError("the socket is not open", this.closed?.code ?? null);
    this.socket.send(data);
  }

  close(): void {
    if (this.closed === null) this.socket.close(1000);
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}

/** The ws(s):// form of an http(s):// URL. */
export function wsUrl(httpUrl: string): string {
  return httpUrl.replace(/^http(s?):\/\//, "ws$1://");
}

function withQuery(url: string, params: Record<string, string>): string {
  const parsed = new URL(url);
  for (const [name, value] of Object.entries(params)) parsed.searchParams.set(name, value);
  return parsed.toString();
}

export async function mintTicket(transport: Transport, executionId: string | null): Promise<StreamTicket> {
  const response = await transport.raw("POST", "/v1/stream-tickets", executionId ? { execution_id: executionId } : {});
  return (await response.json()) as StreamTicket;
}

/** Open a socket at `url` as this client's caller (anonymous callers present nothing). */
export async function openSocket(
  ctx: SocketContext,
  url: string,
  params: Record<string, string>,
  executionId: string | null,
  onFrame?: (frame: Frame | UnknownFrame) => void,
  onClose?: (closed: Closed) => void,
): Promise<SocketReader> {
  const WebSocketClass = ctx.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (!WebSocketClass) {
    throw new TypeError(
      "no WebSocket here: pass one, e.g. new CodeRunHub({ WebSocket: (await import('ws')).WebSocket })",
    );
  }
  let socket: unknown;
  if (ctx.transport.credential && ctx.auth === "ticket") {
    // A browser cannot send Authorization on a WebSocket, and a key must not travel in a URL.
    const { ticket } = await mintTicket(ctx.transport, executionId);
    socket = new WebSocketClass(withQuery(url, { ...params, ticket }));
  } else if (ctx.transport.credential) {
    socket = new WebSocketClass(withQuery(url, params), [], { headers: ctx.transport.authHeaders() });
  } else {
    socket = new WebSocketClass(withQuery(url, params));
  }
  return new SocketReader(socket as WebSocketLike, onFrame, onClose);
}

/** 44xx close codes mirror HTTP statuses (4404 is a 404); the last error frame, if any, has details. */
export function closeProblem(closed: Closed, lastError: ErrorFrame | null): ProblemError | null {
  if (closed.code < 4400 || closed.code >= 4600) return null;
  const status = closed.code - 4000;
  if (lastError) return problem(Number(lastError.problem.status) || status, lastError.problem);
  return problem(status, { title: closed.reason || `WebSocket closed with ${closed.code}`, status });
}

const STREAM_TYPES = new Set(["status", "stdout", "stderr", "test", "live_output_limit", "result"]);

export interface StreamTarget {
  id: string;
  /** The execution's `links.stream` (absolute on current gateways). */
  link?: string | undefined;
}

export interface StreamOptions {
  encoding?: Encoding;
  /** Reconnects after the gateway went away (1012) or the connection broke (1006); 5 by default. */
  reconnects?: number;
}

/** The URL to open: `links.stream` with a ticket (it is single-use and bound, so it may go where the
 * gateway says); with a header, only the configured base URL is given the credential. */
function streamUrl(ctx: SocketContext, target: StreamTarget): string {
  const path = `/v1/executions/${encodeURIComponent(target.id)}/stream`;
  const usesHeader = ctx.auth === "header" && ctx.transport.credential;
  if (target.link && /^wss?:\/\//.test(target.link) && !usesHeader) return target.link;
  return wsUrl(ctx.transport.baseUrl) + (target.link ? pathOf(target.link) : path);
}

/** Every frame of an execution in seq order and each once, reconnecting when the gateway goes away;
 * ends after the result frame. Frame types newer than this SDK are skipped. */
export async function* streamFrames(
  ctx: SocketContext,
  target: StreamTarget,
  options: StreamOptions = {},
): AsyncGenerator<StreamFrame, void, undefined> {
  const reconnects = options.reconnects ?? 5;
  const url = streamUrl(ctx, target);
  let lastSeq = 0;
  for (let attempt = 0; ; attempt++) {
    const reader = await openSocket(ctx, url, { encoding: options.encoding ?? "text" }, target.id);
    try {
      for (let frame = await reader.next(); frame !== null; frame = await reader.next()) {
        const seq = (frame as { seq?: unknown }).seq;
        if (typeof seq === "number") {
          // A replay after reconnecting starts at seq 1: skip what was delivered.
          if (seq <= lastSeq) continue;
          lastSeq = seq;
        }
        if (!isKnown(frame) || !STREAM_TYPES.has(frame.type)) continue;
        yield frame as StreamFrame;
        if (frame.type === "result") return;
      }
    } finally {
      reader.close();
    }
    const closed = reader.closed ?? { code: 1006, reason: "" };
    const refusal = closeProblem(closed, null);
    if (refusal) throw refusal;
    if (!RECONNECT_CODES.has(closed.code) || attempt >= reconnects) {
      throw new StreamError(`the stream closed with ${closed.code} before the result`, closed.code);
    }
    await sleep(Math.min(0.25 * 2 ** (attempt + 1), 5));
  }
}
