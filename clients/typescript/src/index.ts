export { CodeRunHub, type CodeRunHubOptions, type HistoryOptions, type InteractiveOptions } from "./client.js";
export { Batches } from "./batches.js";
export {
  AuthenticationError,
  BadRequestError,
  CodeRunHubError,
  ConflictError,
  ContentTooLargeError,
  NotFoundError,
  PermissionDeniedError,
  ProblemError,
  RateLimitError,
  ServerError,
  ServiceUnavailableError,
  StreamError,
  UnsupportedMediaTypeError,
  ValidationError,
  type ProblemKind,
} from "./errors.js";
export {
  frameBytes,
  type CreatedFrame,
  type ErrorFrame,
  type LiveOutputLimitFrame,
  type OutputFrame,
  type ResultFrame,
  type StatusFrame,
  type StreamFrame,
  type TestFrame,
} from "./frames.js";
export { VERSION, type FetchLike, type RetryHook } from "./http.js";
export { InteractiveSession, type SessionFrame } from "./interactive.js";
export {
  TimeoutError,
  type ExecutionOptions,
  type ExecutionRef,
  type Files,
  type RunOptions,
  type WaitOptions,
} from "./requests.js";
export { Snippets, type SnippetListOptions, type SnippetRef, type SnippetRunOptions } from "./snippets.js";
export type { SocketAuth, StreamOptions, WebSocketConstructor } from "./sockets.js";
export type * from "./types.js";
