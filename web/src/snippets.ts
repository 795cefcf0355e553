// Snippets as the workspace sees them: open one, save, fork, share links.
import { api, unwrap, type Snippet } from "./api/client";
import { currentUser } from "./api/auth";
import { replaceKeeping } from "./drafts";
import { fingerprint, workspace, type OpenSnippet } from "./state";

export function tokenOf(snippet: Snippet): string | null {
  return snippet.links.share ? (snippet.links.share.split("/").pop() ?? null) : null;
}

/** The web app's page for a share link (older links, /#/s/<token>, still open: router.ts). */
export function shareUrl(token: string): string {
  return `${location.origin}/s/${token}`;
}

/** An iframe that shows the snippet read-only and runs it (the widget at /embed/<token>). */
export function embedCode(token: string, title: string): string {
  const name = title.replace(/[&"<>]/g, (c) => `&#${c.charCodeAt(0)};`) || "Snippet";
  return `<iframe src="${location.origin}/embed/${token}" title="${name} on CodeRunHub" width="100%" height="420" loading="lazy" style="border:0"></iframe>`;
}

/** Opens a snippet in the editor; unsaved code there is kept for the undo bar. */
export function openSnippet(snippet: Snippet, token: string | null = null): void {
  const open: OpenSnippet = {
    id: snippet.id,
    title: snippet.title,
    description: snippet.description,
    visibility: snippet.visibility,
    revision: snippet.revision,
    owned: currentUser.value?.id === snippet.owner_id,
    token: tokenOf(snippet) ?? token,
  };
  replaceKeeping(
    {
      language: snippet.language,
      version: "",
      files: snippet.files.map((f) => ({ name: f.name, content: f.content })),
      snippet: open,
    },
    `Opened "${snippet.title}".`,
  );
}

/** Creates the snippet, or saves a new revision of the one open (when it is the caller's). */
export async function saveSnippet(title: string, visibility: OpenSnippet["visibility"]): Promise<Snippet> {
  const ws = workspace.value;
  const files = ws.files.map((f) => ({ name: f.name, content: f.content }));
  const open = ws.snippet;
  const saved =
    open && open.owned
      ? await unwrap(
          api.PATCH("/v1/snippets/{snippet_id}", {
            params: { path: { snippet_id: open.id } },
            body: { title, visibility, language: ws.language, files, expected_revision: open.revision },
          }),
        )
      : await unwrap(
          api.POST("/v1/snippets", {
            body: { title, description: open?.description ?? "", language: ws.language, files, visibility },
          }),
        );
  workspace.value = {
    ...workspace.value,
    baseline: fingerprint({ language: ws.language, files }),
    snippet: {
      id: saved.id,
      title: saved.title,
      description: saved.description,
      visibility: saved.visibility,
      revision: saved.revision,
      owned: true,
      token: tokenOf(saved),
    },
  };
  return saved;
}

/** A copy of the open snippet of one's own (the caller opens it, at its own address). */
export async function forkSnippet(): Promise<Snippet> {
  const open = workspace.value.snippet;
  if (!open) throw new Error("No snippet is open");
  const fork =
    !open.owned && open.token
      ? await unwrap(api.POST("/v1/snippets/shared/{token}/fork", { params: { path: { token: open.token } } }))
      : await unwrap(api.POST("/v1/snippets/{snippet_id}/fork", { params: { path: { snippet_id: open.id } } }));
  return fork;
}
