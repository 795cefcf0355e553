// Interactive sessions: a program fed by the client's stdin while it runs.
import { StreamError } from "./errors.js";
import {
  frameProblem,
  isKnown,
  type CreatedFrame,
  type ErrorFrame,
  type Frame,
  type ResultFrame,
  type StreamFrame,
  type UnknownFrame,
} from "./frames.js";
import { closeProblem, openSocket, wsUrl, type Closed, type SocketContext, type SocketReader } from "./sockets.js";
import type { Encoding, Execution, ExecutionCreate } from "./types.js";

export type SessionFrame = StreamFrame | ErrorFrame;

/** A running interactive execution: write its stdin, read its frames (`for await`), await `result`. */
export class InteractiveSession implements AsyncIterable<SessionFrame> {
  /** The execution as created (queued). */
  readonly execution: Execution;
  /** The finished execution; rejects with a ProblemError or StreamError if the session ends without one. */
  readonly result: Promise<Execution>;
  private lastError: ErrorFrame | null = null;

  /** @internal */
  constructor(
    private readonly reader: SocketReader,
    created: Execution,
    result: Promise<Execution>,
  ) {
    this.execution = created;
    this.result = result;
  }

  /** Input for the program; bytes go as a binary frame (raw stdin). */
  send(data: string | Uint8Array): void {
    this.reader.send(typeof data === "string" ? JSON.stringify({ type: "stdin", data }) : data);
  }

  /** End of input: the program reads end-of-file. */
  eof(): void {
    this.reader.send(JSON.stringify({ type: "eof" }));
  }

  /** Stop the program now (verdict `cancelled`). */
  kill(): void {
    this.reader.send(JSON.stringify({ type: "kill" }));
  }

  /** Leave: a program still running is killed by the gateway. */
  close(): void {
    this.reader.close();
  }

  /** Frames until the session ends. Error frames that do not end it (a bad frame) are yielded; one
   * that does (input over budget) is thrown as its ProblemError. */
  async *[Symbol.asyncIterator](): AsyncGenerator<SessionFrame, void, undefined> {
    let sawResult = false;
    for (let frame = await this.reader.next(); frame !== null; frame = await this.reader.next()) {
      if (!isKnown(frame) || frame.type === "created") continue;
      if (frame.type === "error") this.lastError = frame;
      if (frame.type === "result") sawResult = true;
      yield frame;
    }
    const closed = this.reader.closed ?? { code: 1006, reason: "" };
    const refusal = closeProblem(closed, this.lastError);
    if (refusal) throw refusal;
    if (!sawResult) throw new StreamError(`the session closed with ${closed.code} before the result`, closed.code);
  }
}

export async function startInteractive(
  ctx: SocketContext,
  request: ExecutionCreate,
  encoding: Encoding = "text",
): Promise<InteractiveSession> {
  let settle!: { resolve: (execution: Execution) => void; reject: (error: unknown) => void };
  const result = new Promise<Execution>((resolve, reject) => (settle = { resolve, reject }));
  // Callers may only iterate, or only await the result: an unawaited rejection must not crash Node.
  result.catch(() => undefined);
  let lastError: ErrorFrame | null = null;
  const onFrame = (frame: Frame | UnknownFrame): void => {
    if (frame.type === "error") lastError = frame as ErrorFrame;
    if (frame.type === "result") settle.resolve((frame as ResultFrame).execution);
  };
  const onClose = (closed: Closed): void => {
    settle.reject(
      closeProblem(closed, lastError) ?? new StreamError(`the session closed with ${closed.code}`, closed.code),
    );
  };
  const url = wsUrl(ctx.transport.baseUrl) + "/v1/executions/interactive";
  const reader = await openSocket(ctx, url, { encoding }, null, onFrame, onClose);
  if (!(await reader.opened)) {
    const closed = reader.closed ?? { code: 1006, reason: "" };
    throw closeProblem(closed, null) ?? new StreamError(`the session did not open (${closed.code})`, closed.code);
  }
  reader.send(JSON.stringify({ type: "start", ...request }));
  const first = await reader.next();
  if (first === null) {
    const closed = reader.closed ?? { code: 1006, reason: "" };
    throw (
      closeProblem(closed, lastError) ??
      new StreamError(`the session closed before it started (${closed.code})`, closed.code)
    );
  }
  if (first.type === "error") throw frameProblem(first as ErrorFrame);
  if (first.type !== "created") {
    reader.close();
    throw new StreamError(`expected a created frame, got ${JSON.stringify(first.type)}`);
  }
  return new InteractiveSession(reader, (first as CreatedFrame).execution, result);
}
