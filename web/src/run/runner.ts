// Running code: POST /v1/executions then the WS stream, or the interactive WS (docs/api.md).
import { ProblemError } from "@coderunhub/client";
import { describe, wsUrl, type Execution, type Schemas } from "../api/client";
import { sdk } from "../api/sdk";

export interface OutputChunk {
  stream: "stdout" | "stderr";
  phase: "compile" | "run";
  data: string;
}

export interface RunCallbacks {
  onCreated(execution: Execution): void;
  onStatus(status: string, phase?: string): void;
  onOutput(chunk: OutputChunk): void;
  onResult(execution: Execution): void;
  onError(message: string): void;
}

export interface Frame {
  type: string;
  seq?: number;
  status?: string;
  phase?: "compile" | "run";
  data?: string;
  message?: string;
  execution?: Execution;
  problem?: { title: string; detail?: string };
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
          data: `\n[${frame.message ?? "Live output stopped here."}]\n`,
        });
        break;
      case "result":
        if (frame.execution) callbacks.onResult(frame.execution);
        return true;
      case "error":
        callbacks.onError(frame.problem?.detail || frame.problem?.title || "The run was refused");
        return true;
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

/** A batch run: create, then stream its frames (the SDK reconnects while it is not finished). */
export async function runBatch(submission: Submission, callbacks: RunCallbacks): Promise<RunHandle> {
  let stopped = false;
  let executionId: string | null = null;
  try {
    const { execution } = await sdk.createExecution(submission);
    executionId = execution.id;
    callbacks.onCreated(execution);
    const handle = frameHandler(callbacks);
    void (async () => {
      try {
        for await (const frame of sdk.stream(execution)) {
          if (stopped) return;
          handle(frame as Frame);
        }
      } catch (error) {
        if (!stopped) callbacks.onError(`The output stream failed: ${describe(error)}`);
      }
    })();
  } catch (error) {
    callbacks.onError(describe(error));
  }
  return {
    stop() {
      if (executionId === null) {
        stopped = true;
        return;
      }
      // The stream stays open: it brings the cancelled result (or the one it finished with first).
      sdk.cancel(executionId).catch((error: unknown) => {
        if (error instanceof ProblemError && error.status === 409) return;
        stopped = true;
        callbacks.onError(`Could not stop the run: ${describe(error)}`);
      });
    },
    close() {
      stopped = true;
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
