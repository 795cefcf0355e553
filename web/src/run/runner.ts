// Running code: POST /v1/executions then the WS stream, or the interactive WS (docs/api.md).
import { ProblemError } from "@coderunhub/client";
import { describe, wsUrl, type Execution, type Schemas } from "../api/client";
import { sdk } from "../api/sdk";

export interface OutputChunk {
  stream: "stdout" | "stderr";
  phase: "compile" | "run";
  data: string;
  /** Set on the mark where live output was cut (data is then empty): what people are told. */
  cut?: string;
}

export interface RunCallbacks {
  onCreated(execution: Execution): void;
  onStatus(status: string, phase?: string): void;
  onOutput(chunk: OutputChunk): void;
  onResult(execution: Execution): void;
  onError(message: string): void;
  /** The run was refused for now (429: a budget or the in-flight cap): it may be retried in
   * `seconds`. Without it a refusal is an error. */
  onRefused?(seconds: number, message: string): void;
}

export interface Frame {
  type: string;
  seq?: number;
  status?: string;
  phase?: "compile" | "run";
  data?: string;
  message?: string;
  execution?: Execution;
  problem?: { title: string; status?: number; detail?: string; retry_after?: number | null };
}

type Submission = Schemas["ExecutionCreate"];

/** Relays stream frames once each (a reconnect replays from seq 1); true after the last one. */
export function frameHandler(callbacks: RunCallbacks): (frame: Frame) => boolean {
  let lastSeq = 0;
  return (frame) => {
    if (frame.seq !== undefined) {
      if (frame.seq <= lastSeq) return false;
      lastSeq = frame.seq;
    }
    switch (frame.type) {
      case "created":
        if (frame.execution) callbacks.onCreated(frame.execution);
        break;
      case "status":
        callbacks.onStatus(frame.status ?? "", frame.phase);
        break;
      case "stdout":
      case "stderr":
        callbacks.onOutput({ stream: frame.type, phase: frame.phase ?? "run", data: frame.data ?? "" });
        break;
      case "live_output_limit":
        // No more live output follows; the result (History) has all of it.
        callbacks.onOutput({
          stream: "stderr",
          phase: frame.phase ?? "run",
          data: "",
          cut: frame.message ?? "Live output stopped here.",
        });
        break;
      case "result":
        if (frame.execution) callbacks.onResult(frame.execution);
        return true;
      case "error": {
        const message = frame.problem?.detail || frame.problem?.title || "The run was refused";
        if (frame.problem?.status === 429 && callbacks.onRefused) {
          callbacks.onRefused(retrySeconds(frame.problem.retry_after, message), message);
        } else callbacks.onError(message);
        return true;
      }
    }
    return false;
  };
}

export interface RunHandle {
  /** Stop the program: the execution ends cancelled, and its result still arrives. */
  stop(): void;
  /** Stop following it (a new run starts). */
  close(): void;
  send?(data: string): void;
  eof?(): void;
}

/** Seconds until a refused run may be retried: the Retry-After the server sent, else the one its
 * message names ("retry after 36 seconds"), else a short wait. */
export function retrySeconds(retryAfter: number | null | undefined, message: string): number {
  if (retryAfter && retryAfter > 0) return Math.ceil(retryAfter);
  const named = /retry after (\d+) second/i.exec(message);
  return named ? Math.max(1, Number(named[1])) : 5;
}

/** A batch run: create, then stream its frames (the SDK reconnects while it is not finished). The
 * handle is there at once: a Stop pressed before the execution exists cancels it as soon as it does. */
export function runBatch(submission: Submission, callbacks: RunCallbacks): RunHandle {
  let following = true;
  let settled = false;
  let stopRequested = false;
  let executionId: string | null = null;
  // What the cancel answered: the result to show should the stream end without one.
  let cancelled: Execution | null = null;
  const settle = (report: () => void) => {
    if (!following || settled) return;
    settled = true;
    report();
  };
  const relay: RunCallbacks = {
    ...callbacks,
    onResult: (execution) => settle(() => callbacks.onResult(execution)),
    onError: (message) => settle(() => callbacks.onError(message)),
    onRefused: (seconds, message) =>
      settle(() => (callbacks.onRefused ? callbacks.onRefused(seconds, message) : callbacks.onError(message))),
  };
  const cancel = (id: string) => {
    sdk.cancel(id).then(
      (execution) => {
        cancelled = execution;
      },
      (error: unknown) => {
        // 409: it finished on its own first; the stream brings that result.
        if (error instanceof ProblemError && error.status === 409) return;
        relay.onError(`Could not stop the run: ${describe(error)}`);
      },
    );
  };
  // The stream ended or failed without a result: the execution's own record says how it ended.
  const resultAnyway = async (id: string, failure: unknown) => {
    try {
      const execution = cancelled?.status === "finished" ? cancelled : await sdk.get(id);
      if (execution.status === "finished") return relay.onResult(execution);
    } catch {
      /* reported below */
    }
    relay.onError(`The output stream failed: ${failure === null ? "it ended early" : describe(failure)}`);
  };
  void (async () => {
    let execution: Execution;
    try {
      ({ execution } = await sdk.createExecution(submission));
    } catch (error) {
      if (error instanceof ProblemError && error.status === 429) {
        relay.onRefused?.(retrySeconds(error.retryAfter, error.detail ?? ""), error.detail ?? error.title);
      } else relay.onError(describe(error));
      return;
    }
    executionId = execution.id;
    if (stopRequested) cancel(execution.id);
    if (!following) return;
    relay.onCreated(execution);
    const handle = frameHandler(relay);
    try {
      for await (const frame of sdk.stream(execution)) {
        if (!following || settled) return;
        if (handle(frame as Frame)) return;
      }
      await resultAnyway(execution.id, null);
    } catch (error) {
      await resultAnyway(execution.id, error);
    }
  })();
  return {
    stop() {
      if (executionId === null) stopRequested = true;
      else cancel(executionId);
    },
    close() {
      following = false;
    },
  };
}

/** An interactive run: stdin flows from the terminal while the program runs. */
export function runInteractive(submission: Submission, callbacks: RunCallbacks): RunHandle {
  const socket = new WebSocket(wsUrl("/v1/executions/interactive"));
  const handle = frameHandler(callbacks);
  let done = false;
  const queue: string[] = [];
  const sendFrame = (frame: object) => {
    const text = JSON.stringify(frame);
    if (socket.readyState === WebSocket.OPEN) socket.send(text);
    else queue.push(text);
  };
  socket.onopen = () => {
    socket.send(JSON.stringify({ type: "start", ...submission }));
    for (const text of queue.splice(0)) socket.send(text);
  };
  socket.onmessage = (event) => {
    done = handle(JSON.parse(event.data as string) as Frame) || done;
  };
  socket.onclose = (event) => {
    if (!done && event.code !== 1000) callbacks.onError(`The session closed (${event.code} ${event.reason})`);
  };
  return {
    stop: () => sendFrame({ type: "kill" }),
    close: () => socket.close(1000),
    send: (data) => sendFrame({ type: "stdin", data }),
    eof: () => sendFrame({ type: "eof" }),
  };
}

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "–";
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

export function formatKb(kb: number | null | undefined): string {
  if (kb === null || kb === undefined) return "–";
  return kb < 1024 ? `${kb} KiB` : `${(kb / 1024).toFixed(1)} MiB`;
}

export const VERDICT_LABELS: Record<string, string> = {
  ok: "OK",
  accepted: "Accepted",
  wrong_answer: "Wrong answer",
  compilation_error: "Compilation error",
  runtime_error: "Runtime error",
  time_limit: "Time limit exceeded",
  memory_limit: "Memory limit exceeded",
  output_limit: "Output limit exceeded",
  internal_error: "Internal error",
  cancelled: "Cancelled",
};
