// Request bodies from options, and waiting for executions to finish.
import { CodeRunHubError, retryAfter } from "./errors.js";
import { pathOf, sleep, type Transport } from "./http.js";
import type { Encoding, Execution, ExecutionCreate, FileIn } from "./types.js";

/** Files as `[{name, content}]` or `{name: content}`. */
export type Files = FileIn[] | Record<string, string>;

/** What `run` and `submit` take besides the language and source: the fields of POST /v1/executions. */
export interface ExecutionOptions extends Omit<ExecutionCreate, "language" | "source" | "files"> {
  files?: Files;
  /** Idempotency-Key: a retried request with the same key creates nothing new. */
  idempotencyKey?: string;
}

export interface WaitOptions {
  encoding?: Encoding;
  /** Bounds the whole wait (seconds): past it, a TimeoutError. */
  timeoutS?: number;
}

export type RunOptions = ExecutionOptions & WaitOptions;
export type ExecutionRef = string | { id: string };

// The API answers 202 with Retry-After: 1 when ?wait=true ran out; polls without one wait this long.
const POLL_S = 1;

export class TimeoutError extends CodeRunHubError {
  override name = "TimeoutError";
}

export function fileList(files: Files): FileIn[] {
  return Array.isArray(files) ? files : Object.entries(files).map(([name, content]) => ({ name, content }));
}

/** The body of POST /v1/executions with only the fields given, so the server's defaults apply to the rest. */
export function executionRequest(
  language: string,
  source: string | undefined,
  options: ExecutionOptions & WaitOptions,
): ExecutionCreate {
  // The SDK's own options are not fields of the body.
  const { files, idempotencyKey, encoding, timeoutS, ...fields } = options;
  void [idempotencyKey, encoding, timeoutS];
  const body: ExecutionCreate = { language, ...stripUndefined(fields) };
  if (source !== undefined) body.source = source;
  if (files !== undefined) body.files = fileList(files);
  return body;
}

export function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

export function idOf(ref: ExecutionRef): string {
  return typeof ref === "string" ? ref : ref.id;
}

export function idempotencyHeaders(key: string | undefined): Record<string, string> {
  return key ? { "Idempotency-Key": key } : {};
}

/** The finished execution from a `?wait=true` answer: at once when it is a 200, otherwise by polling
 * the Location the 202 named (as a path of the base URL), as often as its Retry-After asks. */
export async function untilFinished(
  transport: Transport,
  execution: Execution,
  response: Response,
  options: WaitOptions = {},
): Promise<Execution> {
  const location = pathOf(response.headers.get("location") ?? "");
  const path = location.startsWith("/v1/executions/") ? location.split("?")[0]! : `/v1/executions/${execution.id}`;
  const deadline = options.timeoutS === undefined ? null : Date.now() + options.timeoutS * 1000;
  let delay = retryAfter(response) || POLL_S;
  while (execution.status !== "finished") {
    if (deadline !== null && Date.now() + delay * 1000 > deadline) {
      throw new TimeoutError(`execution ${execution.id} did not finish within ${options.timeoutS} s`);
    }
    await sleep(delay);
    const polled = await transport.raw("GET", `${path}?encoding=${options.encoding ?? "text"}`);
    execution = (await polled.json()) as Execution;
    delay = retryAfter(polled) || POLL_S;
  }
  return execution;
}
