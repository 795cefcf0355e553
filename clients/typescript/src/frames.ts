// Frames of the WebSocket stream and of interactive sessions (docs/api.md: WebSocket stream).
// OpenAPI does not describe WebSocket frames, so these are written by hand; a frame type from a
// newer server arrives as an UnknownFrame instead of failing the stream.
import { problem, type ProblemError } from "./errors.js";
import type { Encoding, Execution, Problem, Verdict } from "./types.js";

/** The execution, a phase, or (judging) a test case's run started. */
export interface StatusFrame {
  type: "status";
  seq: number;
  status: string;
  phase?: string | null;
  test?: number | null;
}

/** A chunk of the program's (or compiler's) stdout or stderr. */
export interface OutputFrame {
  type: "stdout" | "stderr";
  seq: number;
  phase?: string | null;
  encoding: Encoding;
  data: string;
  test?: number | null;
}

/** Judging: one test case was judged. */
export interface TestFrame {
  type: "test";
  seq: number;
  phase?: string | null;
  test: number;
  verdict: Verdict;
}

/** Live output stopped here; the execution's GET still has all of it. */
export interface LiveOutputLimitFrame {
  type: "live_output_limit";
  seq: number;
  phase?: string | null;
  message: string;
  test?: number | null;
}

/** The last frame: the finished execution (without stdout/stderr, which came as OutputFrames). */
export interface ResultFrame {
  type: "result";
  seq: number;
  execution: Execution;
}

/** Interactive sessions: the execution was persisted and queued. */
export interface CreatedFrame {
  type: "created";
  execution: Execution;
}

/** Interactive sessions: a refused start, a bad frame (400) or input over its budget (413). */
export interface ErrorFrame {
  type: "error";
  problem: Problem;
}

/** A frame type this SDK release does not know. */
export interface UnknownFrame {
  type: string;
  seq?: number;
  [field: string]: unknown;
}

export type StreamFrame = StatusFrame | OutputFrame | TestFrame | LiveOutputLimitFrame | ResultFrame;
export type Frame = StreamFrame | CreatedFrame | ErrorFrame;

const KNOWN = new Set(["status", "stdout", "stderr", "test", "live_output_limit", "result", "created", "error"]);

export function parseFrame(text: string): Frame | UnknownFrame {
  const frame = JSON.parse(text) as { type?: unknown };
  if (!frame || typeof frame !== "object" || typeof frame.type !== "string") {
    throw new SyntaxError(`not a frame: ${text.slice(0, 200)}`);
  }
  return KNOWN.has(frame.type) ? (frame as Frame) : (frame as UnknownFrame);
}

export function isKnown(frame: Frame | UnknownFrame): frame is Frame {
  return KNOWN.has(frame.type);
}

/** The ProblemError an error frame carries. */
export function frameProblem(frame: ErrorFrame): ProblemError {
  return problem(Number(frame.problem?.status) || 400, frame.problem);
}

/** An output frame's bytes, whatever its encoding. */
export function frameBytes(frame: OutputFrame): Uint8Array {
  if (frame.encoding === "base64") return Uint8Array.from(atob(frame.data), (c) => c.charCodeAt(0));
  return new TextEncoder().encode(frame.data);
}
