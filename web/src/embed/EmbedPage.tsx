// A shared snippet, read-only and highlighted, with a Run button that runs it as it was saved and
// shows the output. Framed by other sites: its requests carry no session (the app's cookies are
// SameSite=Lax, not sent to a cross-site frame), so runs are anonymous and count against the
// viewer's address, never against the snippet's owner or a signed-in visitor.
import { oneDark } from "@codemirror/theme-one-dark";
import { defaultHighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { EditorState } from "@codemirror/state";
import { EditorView, lineNumbers } from "@codemirror/view";
import { useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import { api, describe, unwrap, type Execution, type Snippet } from "../api/client";
import { languageExtension } from "../editor/languages";
import { RunOutput } from "../run/Output";
import { runBatch, type OutputChunk, type RunHandle } from "../run/runner";

const TOKEN = /^\/embed\/([A-Za-z0-9_-]{8,128})\/?$/;

function requestedTheme(): "light" | "dark" {
  const asked = new URLSearchParams(location.search).get("theme");
  if (asked === "dark" || asked === "light") return asked;
  return window.matchMedia?.("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

export function EmbedPage() {
  const token = TOKEN.exec(location.pathname)?.[1] ?? null;
  const snippet = useSignal<Snippet | null>(null);
  const error = useSignal(token ? "" : "This address names no snippet.");
  const active = useSignal(0);
  const running = useSignal(false);
  const chunks = useSignal<OutputChunk[]>([]);
  const result = useSignal<Execution | null>(null);
  const runError = useSignal("");
  const handle = useRef<RunHandle | null>(null);
  const theme = requestedTheme();
  document.documentElement.dataset.theme = theme;

  useEffect(() => {
    if (!token) return;
    void unwrap(api.GET("/v1/snippets/shared/{token}", { params: { path: { token } } }))
      .then((found) => (snippet.value = found))
      .catch((err: unknown) => (error.value = `This snippet cannot be shown: ${describe(err)}`));
  }, [token]);

  const run = async () => {
    const current = snippet.value;
    if (!current || running.value) return;
    running.value = true;
    chunks.value = [];
    result.value = null;
    runError.value = "";
    handle.current = await runBatch(
      {
        language: current.language,
        files: current.files.map((f) => ({ name: f.name, content: f.content })),
        entry: current.files.length > 1 ? current.files[0].name : null,
        stdin: "",
        args: [],
        compile_options: [],
        compare: "exact",
      },
      {
        onCreated: () => undefined,
        onStatus: () => undefined,
        onOutput: (chunk) => (chunks.value = [...chunks.value, chunk]),
        onResult: (execution) => {
          result.value = execution;
          running.value = false;
        },
        onError: (message) => {
          runError.value = message;
          running.value = false;
        },
      },
    );
  };

  if (error.value) {
    return (
      <p class="error" role="alert">
        {error.value}
      </p>
    );
  }
  const current = snippet.value;
  if (!current) return <p class="loading">Loading the snippet…</p>;
  const file = current.files[active.value] ?? current.files[0];
  return (
    <article class="embed" aria-label={`Snippet: ${current.title}`}>
      <header>
        <strong class="title">{current.title || "Untitled snippet"}</strong>
        <span class="language">{current.language}</span>
        <a class="open" href={`/s/${token}`} target="_blank" rel="noopener">
          Open in CodeRunHub ↗
        </a>
      </header>
      {current.files.length > 1 && (
        <nav class="files" aria-label="Files">
          {current.files.map((f, i) => (
            <button
              key={f.name}
              aria-pressed={i === active.value}
              onClick={() => (active.value = i)}
              class={i === active.value ? "active" : undefined}
            >
              {f.name}
            </button>
          ))}
        </nav>
      )}
      <Code key={`${current.id}/${file.name}`} content={file.content} language={current.language} theme={theme} />
      <div class="actions">
        <button class="primary" onClick={() => void run()} disabled={running.value}>
          ▶ Run
        </button>
        {running.value && (
          <button onClick={() => handle.current?.stop()} aria-label="Stop">
            ■ Stop
          </button>
        )}
      </div>
      {runError.value && (
        <p class="error" role="alert">
          {runError.value}
        </p>
      )}
      {(running.value || result.value) && <RunOutput chunks={chunks.value} result={result.value} />}
    </article>
  );
}

function Code({ content, language, theme }: { content: string; language: string; theme: "light" | "dark" }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    let view: EditorView | null = null;
    let cancelled = false;
    void languageExtension(language).then((languageExt) => {
      if (cancelled || !host.current) return;
      view = new EditorView({
        parent: host.current,
        state: EditorState.create({
          doc: content,
          extensions: [
            lineNumbers(),
            EditorState.readOnly.of(true),
            EditorView.editable.of(false),
            EditorView.lineWrapping,
            languageExt,
            theme === "dark" ? oneDark : syntaxHighlighting(defaultHighlightStyle),
          ],
        }),
      });
    });
    return () => {
      cancelled = true;
      view?.destroy();
    };
  }, [content, language, theme]);
  return <div class="code" ref={host} data-testid="embed-code" />;
}
