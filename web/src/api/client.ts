// The web app is a client of the public API only: the gateway (/v1, typed from its OpenAPI) and the
// auth service on the same origin (/auth/v1). Browser sessions are cookies; changes echo crh_csrf.
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];
export type Execution = Schemas["ExecutionOut"];
export type Phase = Schemas["PhaseOut"];
export type Submission = Schemas["SubmissionOut"];
export type Language = Schemas["LanguageOut"];
export type Snippet = Schemas["SnippetOut"];
export type SnippetSummary = Schemas["SnippetSummary"];
export type Verdict = Schemas["Verdict"];

export interface Problem {
  type?: string;
  title: string;
  status: number;
  detail?: string | null;
  errors?: { loc: (string | number)[]; msg: string }[] | null;
}

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail || problem.title);
  }
  get status(): number {
    return this.problem.status;
  }
}

export function csrfToken(): string {
  const match = document.cookie.match(/(?:^|;\s*)crh_csrf=([^;]*)/);
  return match ? decodeURIComponent(match[1]) : "";
}

const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

const csrf: Middleware = {
  onRequest({ request }) {
    if (!SAFE.has(request.method)) request.headers.set("X-CSRF-Token", csrfToken());
    return request;
  },
};

export const api = createClient<paths>({ baseUrl: location.origin, credentials: "same-origin" });
api.use(csrf);

/** The body of an openapi-fetch answer, or an ApiError carrying its problem+json. */
export async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (error !== undefined || !response.ok) throw new ApiError(asProblem(error, response));
  return data as T;
}

function asProblem(error: unknown, response: Response): Problem {
  if (error && typeof error === "object" && "title" in error) return error as Problem;
  return { title: response.statusText || "Request failed", status: response.status };
}

/** Plain JSON calls (the auth service has no generated types here). */
export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (!SAFE.has(method)) headers["X-CSRF-Token"] = csrfToken();
  const response = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  const parsed: unknown = text ? JSON.parse(text) : undefined;
  if (!response.ok) throw new ApiError(asProblem(parsed, response));
  return parsed as T;
}

export function describe(error: unknown): string {
  if (error instanceof ApiError) {
    // A validation problem's detail is its field errors joined: said once, field by field.
    const fields = error.problem.errors?.map((e) => `${e.loc.slice(1).join(".")}: ${e.msg}`) ?? [];
    return fields.length ? fields.join("\n") : error.problem.detail || error.problem.title;
  }
  return error instanceof Error ? error.message : String(error);
}

// Links may be absolute (ws://host/...): the app keeps to its own origin, where its session is.
export function wsUrl(link: string): string {
  const { pathname, search } = new URL(link, location.href);
  const url = new URL(pathname + search, location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.toString();
}
