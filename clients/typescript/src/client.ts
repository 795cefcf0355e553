// CodeRunHub: the SDK's entry point. Executions live here; snippets and batches in their own classes.
import { Batches } from "./batches.js";
import type { StreamFrame } from "./frames.js";
import { Transport, unwrap, type FetchLike, type RetryHook } from "./http.js";
import { InteractiveSession, startInteractive } from "./interactive.js";
import {
  executionRequest,
  idempotencyHeaders,
  idOf,
  stripUndefined,
  untilFinished,
  type ExecutionOptions,
  type ExecutionRef,
  type Files,
  type RunOptions,
  type WaitOptions,
} from "./requests.js";
import { Snippets } from "./snippets.js";
import {
  mintTicket,
  streamFrames,
  type SocketAuth,
  type SocketContext,
  type StreamOptions,
  type WebSocketConstructor,
} from "./sockets.js";
import type {
  Config,
  Encoding,
  Execution,
  ExecutionCreate,
  ExecutionPage,
  HistoryFilters,
  Language,
  Limits,
  StreamTicket,
  Submission,
  WebhookSecret,
} from "./types.js";

export interface CodeRunHubOptions {
  /** The gateway, e.g. `https://api.example.com`; in a browser, the page's origin by default. */
  baseUrl?: string;
  /** An API key (`crh_...`). Without it or `accessToken`, calls are anonymous. */
  apiKey?: string;
  /** A signed-in user's access token (a JWT). */
  accessToken?: string;
  /** The fetch to use (default: the global one). */
  fetch?: FetchLike;
  /** The WebSocket class (default: the global one). Node 20 has none: pass the `ws` package's. */
  WebSocket?: WebSocketConstructor;
  /** How sockets present credentials: `header` (Authorization, which `ws` can send; the default when
   * `WebSocket` is given) or `ticket` (a single-use stream ticket, as browsers must; the default otherwise). */
  socketAuth?: SocketAuth;
  /** Retries of 429 and 503 answers (which create nothing), after their Retry-After; 3 by default, 0 turns them off. */
  maxRetries?: number;
  /** A Retry-After longer than this many seconds is not waited for (60 by default). */
  maxRetryWaitS?: number;
  /** Called before each retry. */
  onRetry?: RetryHook;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
}

export interface InteractiveOptions
  extends Omit<ExecutionOptions, "stdin" | "test_cases" | "compare" | "idempotencyKey"> {
  encoding?: Encoding;
}

export interface HistoryOptions extends Omit<HistoryFilters, "cursor" | "limit"> {
  /** Executions per request (the server caps it). */
  pageSize?: number;
}

export class CodeRunHub {
  readonly snippets: Snippets;
  readonly batches: Batches;
  private readonly transport: Transport;
  private readonly sockets: SocketContext;

  constructor(options: CodeRunHubOptions = {}) {
    if (options.apiKey && options.accessToken) throw new TypeError("pass apiKey or accessToken, not both");
    const baseUrl = options.baseUrl ?? (globalThis as { location?: { origin?: string } }).location?.origin;
    if (!baseUrl) throw new TypeError("baseUrl is required outside a browser");
    const fetchImpl: FetchLike = options.fetch ?? ((request) => globalThis.fetch(request));
    this.transport = new Transport(
      baseUrl,
      options.apiKey ?? options.accessToken ?? null,
      { maxRetries: options.maxRetries ?? 3, maxWaitS: options.maxRetryWaitS ?? 60, defaultWaitS: 1 },
      options.onRetry,
      fetchImpl,
      options.headers ?? {},
    );
    this.sockets = {
      transport: this.transport,
      WebSocket: options.WebSocket,
      auth: options.socketAuth ?? (options.WebSocket ? "header" : "ticket"),
    };
    this.snippets = new Snippets(this.transport);
    this.batches = new Batches(this.transport);
  }

  get baseUrl(): string {
    return this.transport.baseUrl;
  }

  /** Use this API key or access token from now on (null: anonymous). */
  useCredential(credential: string | null): void {
    this.transport.credential = credential;
  }

  // Executions

  /** POST /v1/executions as it is: with `wait` the answer may still be unfinished (a 202). */
  async createExecution(
    request: ExecutionCreate,
    options: { wait?: boolean; encoding?: Encoding; idempotencyKey?: string } = {},
  ): Promise<{ execution: Execution; response: Response }> {
    const { data, error, response } = await this.transport.api.POST("/v1/executions", {
      params: { query: stripUndefined({ wait: options.wait || undefined, encoding: options.encoding ?? "text" }) },
      body: request,
      headers: idempotencyHeaders(options.idempotencyKey),
    });
    return { execution: await unwrap(Promise.resolve({ data, error, response })), response };
  }

  /** Run code and return the finished execution: the server waits up to its configured time, and
   * past it (a 202 with Retry-After and Location) this polls until the execution finished. */
  run(language: string, source?: string, options: RunOptions = {}): Promise<Execution> {
    return this.runRequest(executionRequest(language, source, options), options);
  }

  /** `run` for a request body built beforehand. */
  async runRequest(
    request: ExecutionCreate,
    options: WaitOptions & { idempotencyKey?: string } = {},
  ): Promise<Execution> {
    const { execution, response } = await this.createExecution(request, { ...options, wait: true });
    return untilFinished(this.transport, execution, response, options);
  }

  /** Queue code and return at once (status `queued`); follow it with `stream`, `wait` or `get`. */
  async submit(language: string, source?: string, options: ExecutionOptions = {}): Promise<Execution> {
    const request = executionRequest(language, source, options);
    return (await this.createExecution(request, { idempotencyKey: options.idempotencyKey })).execution;
  }

  get(execution: ExecutionRef, options: { encoding?: Encoding } = {}): Promise<Execution> {
    return unwrap(
      this.transport.api.GET("/v1/executions/{execution_id}", {
        params: { path: { execution_id: idOf(execution) }, query: { encoding: options.encoding ?? "text" } },
      }),
    );
  }

  /** Poll an execution until it finished. */
  async wait(execution: ExecutionRef, options: WaitOptions = {}): Promise<Execution> {
    const { data, error, response } = await this.transport.api.GET("/v1/executions/{execution_id}", {
      params: { path: { execution_id: idOf(execution) }, query: { encoding: options.encoding ?? "text" } },
    });
    return untilFinished(this.transport, await unwrap(Promise.resolve({ data, error, response })), response, options);
  }

  /** What an execution ran: files, stdin, args, compile options. */
  submission(execution: ExecutionRef): Promise<Submission> {
    return unwrap(
      this.transport.api.GET("/v1/executions/{execution_id}/submission", {
        params: { path: { execution_id: idOf(execution) } },
      }),
    );
  }

  /** Stop an execution. Resolves to it finished (verdict `cancelled`) when it stopped in time, else as
   * it is now (it stops shortly); one that had already finished is a ConflictError (409). */
  cancel(execution: ExecutionRef): Promise<Execution> {
    return unwrap(
      this.transport.api.POST("/v1/executions/{execution_id}/cancel", {
        params: { path: { execution_id: idOf(execution) } },
      }),
    );
  }

  /** One page of my executions, newest first (`next_cursor` leads to the next). */
  listExecutions(filters: HistoryFilters = {}): Promise<ExecutionPage> {
    return unwrap(this.transport.api.GET("/v1/executions", { params: { query: stripUndefined(filters) } }));
  }

  /** All my executions, newest first, page after page (`for await`). */
  async *history(options: HistoryOptions = {}): AsyncGenerator<Execution, void, undefined> {
    const { pageSize, ...filters } = options;
    let cursor: string | null = null;
    do {
      const page: ExecutionPage = await this.listExecutions({
        details: false,
        ...filters,
        ...(pageSize === undefined ? {} : { limit: pageSize }),
        ...(cursor === null ? {} : { cursor }),
      });
      yield* page.items;
      cursor = page.next_cursor;
    } while (cursor);
  }

  /** The frames of an execution's WebSocket stream, in seq order, ending with the result frame; a
   * late start still gets every frame from the first, and a dropped connection is resumed. */
  stream(
    execution: ExecutionRef | Execution,
    options: StreamOptions = {},
  ): AsyncGenerator<StreamFrame, void, undefined> {
    const link = typeof execution === "object" && "links" in execution ? execution.links.stream : undefined;
    return streamFrames(this.sockets, { id: idOf(execution), link }, options);
  }

  /** A program fed by `session.send()` while it runs; `for await (const frame of session)` reads its
   * output and `await session.result` its end. */
  interactive(language: string, source?: string, options: InteractiveOptions = {}): Promise<InteractiveSession> {
    const { encoding, ...fields } = options;
    return startInteractive(this.sockets, executionRequest(language, source, fields), encoding);
  }

  // Catalogue and account

  languages(): Promise<Language[]> {
    return unwrap(this.transport.api.GET("/v1/languages"));
  }

  /** My rate-limit budgets, executions in flight and the queue's depth. */
  limits(): Promise<Limits> {
    return unwrap(this.transport.api.GET("/v1/limits"));
  }

  /** What may be asked for: limit ranges, sizes, rate limits, per caller class. */
  config(): Promise<Config> {
    return unwrap(this.transport.api.GET("/v1/config"));
  }

  /** A single-use ticket opening one WebSocket as this caller (`?ticket=`), bound to `execution` when
   * given: mint it in your backend and hand a browser only the ticket, never your API key. */
  createStreamTicket(execution?: ExecutionRef): Promise<StreamTicket> {
    return mintTicket(this.transport, execution === undefined ? null : idOf(execution));
  }

  webhookSecret(): Promise<WebhookSecret> {
    return unwrap(this.transport.api.GET("/v1/webhooks/secret"));
  }

  rotateWebhookSecret(): Promise<WebhookSecret> {
    return unwrap(this.transport.api.POST("/v1/webhooks/secret/rotate"));
  }
}

export type { Files };
