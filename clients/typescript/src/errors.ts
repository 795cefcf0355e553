// Errors: every problem+json answer (RFC 9457) becomes a ProblemError of its status's class.
import type { FieldError, Problem } from "./types.js";

/** Anything this SDK throws on purpose. */
export class CodeRunHubError extends Error {
  override name = "CodeRunHubError";
}

/** What went wrong, by status: one name per status the API documents. */
export type ProblemKind =
  | "bad_request"
  | "authentication"
  | "permission_denied"
  | "not_found"
  | "conflict"
  | "content_too_large"
  | "unsupported_media_type"
  | "validation"
  | "rate_limit"
  | "service_unavailable"
  | "server"
  | "other";

/** The API refused or failed a request; `type`, `title`, `detail` and `errors` come from its problem+json. */
export class ProblemError extends CodeRunHubError {
  override name = "ProblemError";
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly detail: string | null;
  readonly instance: string | null;
  readonly errors: FieldError[];
  /** Seconds from the Retry-After header (429 and 503), else null. */
  readonly retryAfter: number | null;
  /** The body as received. */
  readonly body: unknown;

  constructor(status: number, body: Partial<Problem> | undefined, retryAfter: number | null = null) {
    const title = body?.title || `HTTP ${status}`;
    const detail = typeof body?.detail === "string" ? body.detail : null;
    super(`${status} ${title}${detail ? `: ${detail}` : ""}`);
    this.status = status;
    this.type = body?.type || "about:blank";
    this.title = title;
    this.detail = detail;
    this.instance = typeof body?.instance === "string" ? body.instance : null;
    this.errors = Array.isArray(body?.errors) ? body.errors : [];
    this.retryAfter = retryAfter;
    this.body = body;
  }

  get kind(): ProblemKind {
    return KINDS[this.status] ?? (this.status >= 500 ? "server" : "other");
  }

  /** The last part of `type`, e.g. `too-many-in-flight`. */
  get slug(): string {
    return this.type.replace(/\/+$/, "").split("/").pop() ?? this.type;
  }
}

/** 400: malformed JSON, invalid UTF-8, JSON nested too deeply. */
export class BadRequestError extends ProblemError {
  override name = "BadRequestError";
}
/** 401: missing or invalid credentials (or anonymous use is off). */
export class AuthenticationError extends ProblemError {
  override name = "AuthenticationError";
}
/** 403: a missing API key scope, or not the owner. */
export class PermissionDeniedError extends ProblemError {
  override name = "PermissionDeniedError";
}
/** 404: unknown, or not visible to these credentials. */
export class NotFoundError extends ProblemError {
  override name = "NotFoundError";
}
/** 409: the resource changed (If-Match), an Idempotency-Key reused, an execution already finished. */
export class ConflictError extends ProblemError {
  override name = "ConflictError";
}
/** 413: body, source or stdin too large. */
export class ContentTooLargeError extends ProblemError {
  override name = "ContentTooLargeError";
}
/** 415: the body was not JSON. */
export class UnsupportedMediaTypeError extends ProblemError {
  override name = "UnsupportedMediaTypeError";
}
/** 422: `errors` names each offending field. */
export class ValidationError extends ProblemError {
  override name = "ValidationError";
}
/** 429: a budget or the in-flight cap is used up; `retryAfter` says when to try again. */
export class RateLimitError extends ProblemError {
  override name = "RateLimitError";
}
/** 503: a backing service is down or the queue is full; `retryAfter` says when to try again. */
export class ServiceUnavailableError extends ProblemError {
  override name = "ServiceUnavailableError";
}
/** 5xx other than 503: a bug on the server. */
export class ServerError extends ProblemError {
  override name = "ServerError";
}

/** A WebSocket closed without a result frame (`code` is its close code). */
export class StreamError extends CodeRunHubError {
  override name = "StreamError";
  constructor(
    message: string,
    readonly code: number | null = null,
  ) {
    super(message);
  }
}

const KINDS: Record<number, ProblemKind> = {
  400: "bad_request",
  401: "authentication",
  403: "permission_denied",
  404: "not_found",
  409: "conflict",
  413: "content_too_large",
  415: "unsupported_media_type",
  422: "validation",
  429: "rate_limit",
  503: "service_unavailable",
};

type ProblemClass = new (
  status: number,
  body: Partial<Problem> | undefined,
  retryAfter?: number | null,
) => ProblemError;

const CLASSES: Record<number, ProblemClass> = {
  400: BadRequestError,
  401: AuthenticationError,
  403: PermissionDeniedError,
  404: NotFoundError,
  409: ConflictError,
  413: ContentTooLargeError,
  415: UnsupportedMediaTypeError,
  422: ValidationError,
  429: RateLimitError,
  503: ServiceUnavailableError,
};

/** The error for a problem body (also what an interactive session's error frame carries). */
export function problem(status: number, body: unknown, retryAfter: number | null = null): ProblemError {
  const data = body && typeof body === "object" ? (body as Partial<Problem>) : undefined;
  const Class = CLASSES[status] ?? (status >= 500 ? ServerError : ProblemError);
  return new Class(status, data, retryAfter);
}

/** Retry-After in seconds (only the delta-seconds form: the API never sends a date). */
export function retryAfter(response: Response): number | null {
  const value = response.headers.get("retry-after");
  if (value === null) return null;
  const seconds = Number(value);
  return Number.isFinite(seconds) ? Math.max(0, seconds) : null;
}

/** The ProblemError for an error response (its body not read yet). */
export async function fromResponse(response: Response): Promise<ProblemError> {
  const text = await response.text().catch(() => "");
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // A proxy's HTML page, say: keep its start as the detail.
    body = { title: response.statusText || `HTTP ${response.status}`, detail: text.slice(0, 500) };
  }
  return problem(response.status, body, retryAfter(response));
}
