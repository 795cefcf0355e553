// Snippets: saved, versioned programs with share links, forks and runs (/v1/snippets).
import { unwrap, type Transport } from "./http.js";
import {
  fileList,
  idempotencyHeaders,
  stripUndefined,
  untilFinished,
  type Files,
  type WaitOptions,
} from "./requests.js";
import type { Execution, Revision, RevisionSummary, Snippet, SnippetPage, SnippetRun, Visibility } from "./types.js";

export type SnippetRef = string | { id: string };

const idOf = (ref: SnippetRef): string => (typeof ref === "string" ? ref : ref.id);
// A share link's last segment is its token.
const tokenOf = (tokenOrLink: string): string => tokenOrLink.replace(/\/+$/, "").split("/").pop() ?? tokenOrLink;

export interface SnippetListOptions {
  q?: string;
  language?: string;
  visibility?: Visibility;
  cursor?: string;
  limit?: number;
}

export interface SnippetRunOptions extends SnippetRun, WaitOptions {
  /** A revision number; the current one by default. */
  revision?: number;
  /** Answer with the finished result (default); `false` returns the queued execution. */
  wait?: boolean;
  idempotencyKey?: string;
}

export class Snippets {
  constructor(private readonly transport: Transport) {}

  create(
    title: string,
    language: string,
    files: Files,
    options: { description?: string; visibility?: Visibility; idempotencyKey?: string } = {},
  ): Promise<Snippet> {
    const { idempotencyKey, ...rest } = options;
    return unwrap(
      this.transport.api.POST("/v1/snippets", {
        body: stripUndefined({ title, language, files: fileList(files), ...rest }),
        headers: idempotencyHeaders(idempotencyKey),
      }),
    );
  }

  get(snippet: SnippetRef): Promise<Snippet> {
    return unwrap(
      this.transport.api.GET("/v1/snippets/{snippet_id}", { params: { path: { snippet_id: idOf(snippet) } } }),
    );
  }

  /** Change the given fields (a content change is a new revision). `ifRevision` refuses the update
   * with a ConflictError when the snippet moved past that revision meanwhile. */
  update(
    snippet: SnippetRef,
    changes: {
      title?: string;
      description?: string;
      language?: string;
      files?: Files;
      visibility?: Visibility;
      ifRevision?: number;
    },
  ): Promise<Snippet> {
    const { files, ifRevision, ...rest } = changes;
    const body = stripUndefined({ ...rest, files: files === undefined ? undefined : fileList(files) });
    return unwrap(
      this.transport.api.PATCH("/v1/snippets/{snippet_id}", {
        params: { path: { snippet_id: idOf(snippet) } },
        body,
        headers: ifRevision === undefined ? {} : { "If-Match": `"${ifRevision}"` },
      }),
    );
  }

  async delete(snippet: SnippetRef): Promise<void> {
    await unwrap(
      this.transport.api.DELETE("/v1/snippets/{snippet_id}", { params: { path: { snippet_id: idOf(snippet) } } }),
    );
  }

  /** One page of my snippets, newest first (`next_cursor` leads to the next). */
  list(options: SnippetListOptions = {}): Promise<SnippetPage> {
    return unwrap(this.transport.api.GET("/v1/snippets", { params: { query: stripUndefined(options) } }));
  }

  /** One page of everyone's public snippets. */
  listPublic(options: Omit<SnippetListOptions, "visibility"> = {}): Promise<SnippetPage> {
    return unwrap(this.transport.api.GET("/v1/snippets/public", { params: { query: stripUndefined(options) } }));
  }

  /** The snippet's share link (an absolute URL), making a private snippet unlisted first. */
  async share(snippet: SnippetRef): Promise<string> {
    let current =
      typeof snippet === "string" || !("visibility" in snippet) ? await this.get(snippet) : (snippet as Snippet);
    if (current.visibility === "private") current = await this.update(current, { visibility: "unlisted" });
    const link = current.links.share;
    if (!link) throw new TypeError("only the owner sees a snippet's share link");
    return /^https?:\/\//.test(link) ? link : this.transport.baseUrl + link;
  }

  /** A snippet through its share link (the token, or the link `share` returned). */
  getShared(tokenOrLink: string): Promise<Snippet> {
    return unwrap(
      this.transport.api.GET("/v1/snippets/shared/{token}", { params: { path: { token: tokenOf(tokenOrLink) } } }),
    );
  }

  forkShared(tokenOrLink: string): Promise<Snippet> {
    return unwrap(
      this.transport.api.POST("/v1/snippets/shared/{token}/fork", {
        params: { path: { token: tokenOf(tokenOrLink) } },
      }),
    );
  }

  /** Copy a snippet I can read into a private one of mine. */
  fork(snippet: SnippetRef, options: { revision?: number } = {}): Promise<Snippet> {
    return unwrap(
      this.transport.api.POST("/v1/snippets/{snippet_id}/fork", {
        params: { path: { snippet_id: idOf(snippet) }, query: stripUndefined(options) },
      }),
    );
  }

  revisions(snippet: SnippetRef): Promise<RevisionSummary[]> {
    return unwrap(
      this.transport.api.GET("/v1/snippets/{snippet_id}/revisions", {
        params: { path: { snippet_id: idOf(snippet) } },
      }),
    );
  }

  revision(snippet: SnippetRef, number: number): Promise<Revision> {
    return unwrap(
      this.transport.api.GET("/v1/snippets/{snippet_id}/revisions/{number}", {
        params: { path: { snippet_id: idOf(snippet), number } },
      }),
    );
  }

  /** Run a snippet (its current revision, or `revision`); finished unless `wait: false`. */
  async run(snippet: SnippetRef, options: SnippetRunOptions = {}): Promise<Execution> {
    const { revision, wait = true, encoding = "text", timeoutS, idempotencyKey, ...body } = options;
    const { data, error, response } = await this.transport.api.POST("/v1/snippets/{snippet_id}/run", {
      params: {
        path: { snippet_id: idOf(snippet) },
        query: stripUndefined({ revision, wait: wait || undefined, encoding }),
      },
      body: stripUndefined(body),
      headers: idempotencyHeaders(idempotencyKey),
    });
    const execution = await unwrap(Promise.resolve({ data, error, response }));
    return wait ? untilFinished(this.transport, execution, response, { encoding, timeoutS }) : execution;
  }
}
