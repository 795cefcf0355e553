// HTTP plumbing shared by every resource: credentials, retries of 429/503, problem+json errors.
import createClient from "openapi-fetch";
import type { Client } from "openapi-fetch";

import { fromResponse, problem, retryAfter, type ProblemError } from "./errors.js";
import type { paths } from "./types.js";

export const VERSION = "0.1.0";

export type FetchLike = (input: Request, init?: RequestInit) => Promise<Response>;
/** Called before each retry with the refusal and the seconds about to be waited. */
export type RetryHook = (error: ProblemError, waitS: number) => void;

export interface RetryPolicy {
  /** Retries after the first attempt; 0 turns retrying off. */
  maxRetries: number;
  /** A Retry-After longer than this is not waited for: the error is thrown at once. */
  maxWaitS: number;
  /** The wait when a 429/503 carries no Retry-After. */
  defaultWaitS: number;
}

export const sleep = (seconds: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, seconds * 1000));

/** The statuses the API answers before doing anything (nothing is created): safe to send again. */
const RETRIED = new Set([429, 503]);

export class Transport {
  readonly baseUrl: string;
  readonly api: Client<paths>;
  credential: string | null;

  constructor(
    baseUrl: string,
    credential: string | null,
    private readonly retry: RetryPolicy,
    private readonly onRetry: RetryHook | undefined,
    private readonly fetchImpl: FetchLike,
    private readonly headers: Record<string, string>,
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.credential = credential;
    this.api = createClient<paths>({ baseUrl: this.baseUrl, fetch: (request) => this.send(request) });
  }

  authHeaders(): Record<string, string> {
    const headers = { ...this.headers };
    if (this.credential) headers["Authorization"] = `Bearer ${this.credential}`;
    return headers;
  }

  /** Send with credentials, retrying 429/503 as the policy allows (Retry-After honoured). */
  async send(request: Request): Promise<Response> {
    for (const [name, value] of Object.entries(this.authHeaders())) {
      if (!request.headers.has(name)) request.headers.set(name, value);
    }
    for (let attempt = 0; ; attempt++) {
      const response = await this.fetchImpl(request.clone());
      if (!RETRIED.has(response.status) || attempt >= this.retry.maxRetries) return response;
      const wait = retryAfter(response) ?? this.retry.defaultWaitS;
      if (wait > this.retry.maxWaitS) return response;
      if (this.onRetry) this.onRetry(await fromResponse(response.clone()), wait);
      await response.body?.cancel();
      await sleep(wait);
    }
  }

  /** A request outside the typed paths (e.g. the path of a Location header). */
  async raw(method: string, path: string, body?: unknown): Promise<Response> {
    const init: RequestInit = { method, headers: { Accept: "application/json" } };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      (init.headers as Record<string, string>)["Content-Type"] = "application/json";
    }
    const response = await this.send(new Request(this.baseUrl + path, init));
    if (!response.ok) throw await fromResponse(response);
    return response;
  }
}

/** openapi-fetch's answer as its data, or the ProblemError its problem+json body describes. */
export async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (error !== undefined || !response.ok) throw problem(response.status, error, retryAfter(response));
  return data as T;
}

/** A link's path and query: credentials go only to the configured base URL, never where an answer points. */
export function pathOf(link: string): string {
  const url = new URL(link, "http://placeholder.invalid");
  return url.pathname + url.search;
}
