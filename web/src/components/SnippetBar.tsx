// Save, rename, share (visibility + link), fork and revisions of the snippet open in the editor.
import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { currentUser } from "../api/auth";
import { api, describe, unwrap, type Schemas } from "../api/client";
import { sessionPath, startSession } from "../collab/api";
import { markOpened, replaceKeeping, syncAddress } from "../drafts";
import { embedCode, forkSnippet, openSnippet, saveSnippet, shareUrl } from "../snippets";
import { navigate, updateWorkspace, workspace, type OpenSnippet } from "../state";

type Visibility = OpenSnippet["visibility"];

export function SnippetBar() {
  const ws = workspace.value;
  const open = ws.snippet;
  const title = useSignal(open?.title ?? "");
  const visibility = useSignal<Visibility>(open?.visibility ?? "private");
  const message = useSignal("");
  const busy = useSignal(false);
  const revisions = useSignal<Schemas["RevisionSummary"][]>([]);
  const signedIn = !!currentUser.value;

  useEffect(() => {
    title.value = open?.title ?? "";
    visibility.value = open?.visibility ?? "private";
    revisions.value = [];
    if (open?.owned) {
      void unwrap(api.GET("/v1/snippets/{snippet_id}/revisions", { params: { path: { snippet_id: open.id } } }))
        .then((list) => (revisions.value = list))
        .catch(() => undefined);
    }
  }, [open?.id, open?.revision, open?.owned]);

  const act = async (what: () => Promise<string>) => {
    busy.value = true;
    message.value = "";
    try {
      message.value = await what();
    } catch (error) {
      message.value = describe(error);
    } finally {
      busy.value = false;
    }
  };

  const save = () =>
    act(async () => {
      const saved = await saveSnippet(title.value.trim() || "Untitled", visibility.value);
      syncAddress(); // a new snippet: the address becomes its page
      return `Saved revision ${saved.revision}.`;
    });

  const fork = () =>
    act(async () => {
      const forked = await forkSnippet();
      // The copy at its own address; Back returns to the original.
      navigate(`/snippets/${forked.id}`);
      markOpened();
      openSnippet(forked);
      return `Forked as "${forked.title}": this copy is yours.`;
    });

  // A live session starts from the saved revision; its page loads the collaboration code.
  const shareLive = () =>
    act(async () => {
      if (!open) return "";
      location.assign(sessionPath(await startSession(open.id)));
      return "Opening the live session…";
    });

  const loadRevision = (number: number) =>
    act(async () => {
      if (!open) return "";
      const revision = await unwrap(
        api.GET("/v1/snippets/{snippet_id}/revisions/{number}", {
          params: { path: { snippet_id: open.id, number } },
        }),
      );
      replaceKeeping({ language: revision.language, files: revision.files, snippet: open }, `Opened revision ${number}.`);
      return `Showing revision ${number}; saving makes it the newest.`;
    });

  const reload = () =>
    act(async () => {
      if (!open) return "";
      openSnippet(await unwrap(api.GET("/v1/snippets/{snippet_id}", { params: { path: { snippet_id: open.id } } })));
      return "";
    });

  const link = open?.owned && open.token && open.visibility !== "private" ? shareUrl(open.token) : null;
  // The clipboard needs a secure context (https or localhost); elsewhere the field stays selectable.
  const copy = async (text: string, done: string) => {
    try {
      await navigator.clipboard.writeText(text);
      message.value = done;
    } catch {
      message.value = "Copying was refused by the browser: select the link and copy it.";
    }
  };

  return (
    <section class="snippet-bar" aria-label="Snippet">
      <label>
        Title
        <input
          value={title.value}
          onInput={(e) => (title.value = e.currentTarget.value)}
          placeholder="Untitled"
          maxLength={200}
          name="title"
        />
      </label>
      <label>
        Visibility
        <select
          value={visibility.value}
          name="visibility"
          onChange={(e) => (visibility.value = e.currentTarget.value as Visibility)}
        >
          <option value="private">Private</option>
          <option value="unlisted">Unlisted (anyone with the link)</option>
          <option value="public">Public</option>
        </select>
      </label>
      <button onClick={save} disabled={!signedIn || busy.value} title={signedIn ? "" : "Sign in to save snippets"}>
        {open?.owned ? "Save revision" : "Save snippet"}
      </button>
      {open && (
        <button onClick={fork} disabled={!signedIn || busy.value}>
          Fork
        </button>
      )}
      {open?.owned && signedIn && (
        <button
          onClick={shareLive}
          disabled={busy.value}
          title="Edit the saved revision together with others, live"
        >
          Share live
        </button>
      )}
      {open && (
        <button
          onClick={() => {
            updateWorkspace({ snippet: null });
            syncAddress();
            message.value = "";
          }}
        >
          Detach
        </button>
      )}
      {open?.owned && revisions.value.length > 1 && (
        <label>
          Revision
          <select
            name="revision"
            value=""
            onChange={(e) => {
              const value = Number(e.currentTarget.value);
              if (value === open.revision) void reload();
              else if (value) void loadRevision(value);
            }}
          >
            <option value="">Open a revision…</option>
            {revisions.value.map((r) => (
              <option value={r.number} key={r.number}>
                #{r.number} · {new Date(r.created_at).toLocaleString()}
              </option>
            ))}
          </select>
        </label>
      )}
      {!signedIn && <span class="hint">Sign in to save, share and fork snippets.</span>}
      {open && !open.owned && <span class="hint">Viewing someone's snippet: fork it to keep your own copy.</span>}
      {link && open?.token && (
        <>
          <label class="share">
            Share link
            <input readOnly value={link} name="share-link" onFocus={(e) => e.currentTarget.select()} />
          </label>
          <button type="button" onClick={() => void copy(link, "Link copied.")}>
            Copy link
          </button>
          <button type="button" onClick={() => void copy(embedCode(open.token!, open.title), "Embed code copied.")}>
            Copy embed code
          </button>
        </>
      )}
      {message.value && (
        <p class="message" role="status">
          {message.value}
        </p>
      )}
    </section>
  );
}
