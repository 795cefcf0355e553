// My snippets and public ones, searchable by title and language; each card links to the snippet's
// page, /snippets/<id>, which opens it in the editor (EditorPage.tsx).
import "./Snippets.css";
import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { currentUser } from "../api/auth";
import { api, describe, unwrap, type Schemas, type SnippetSummary } from "../api/client";
import { LanguageFilter } from "../components/LanguageFilter";

type Source = "mine" | "public";

const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? "" : "s"}`;

/** The current revision's code metrics in a few words: lines, functions, the highest complexity. */
export function metricsLabel(metrics: Schemas["SnippetMetrics"]): string {
  const parts = [plural(metrics.lines, "line")];
  // null: lizard reads none of the files (a language it does not know), so line counts only.
  if (metrics.functions !== null) parts.push(plural(metrics.functions, "function"));
  if (metrics.ccn_max !== null) parts.push(`max complexity ${metrics.ccn_max}`);
  return parts.join(" · ");
}

export function Snippets() {
  // Mine when signed in, once that is known (a page loaded at /snippets asks first): null until chosen.
  const picked = useSignal<Source | null>(null);
  const user = currentUser.value;
  const source: Source | null = picked.value ?? (user ? "mine" : user === null ? "public" : null);
  const q = useSignal("");
  const language = useSignal("");
  const items = useSignal<SnippetSummary[]>([]);
  const cursor = useSignal<string | null>(null);
  const error = useSignal("");

  const load = async (more = false) => {
    if (source === null) return;
    error.value = "";
    const query = {
      q: q.value || undefined,
      language: language.value || undefined,
      cursor: more ? (cursor.value ?? undefined) : undefined,
    };
    try {
      const page =
        source === "mine"
          ? await unwrap(api.GET("/v1/snippets", { params: { query } }))
          : await unwrap(api.GET("/v1/snippets/public", { params: { query } }));
      items.value = more ? [...items.value, ...page.items] : page.items;
      cursor.value = page.next_cursor ?? null;
    } catch (err) {
      error.value = describe(err);
    }
  };
  useEffect(() => void load(), [source]);

  return (
    <section aria-labelledby="snippets-title">
      <h1 id="snippets-title">Snippets</h1>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          void load();
        }}
      >
        <fieldset class="segmented">
          <legend>Show</legend>
          <label>
            <input
              type="radio"
              name="source"
              checked={source === "mine"}
              disabled={!currentUser.value}
              onChange={() => (picked.value = "mine")}
            />
            Mine
          </label>
          <label>
            <input
              type="radio"
              name="source"
              checked={source === "public"}
              onChange={() => (picked.value = "public")}
            />
            Public
          </label>
        </fieldset>
        <label>
          Search titles
          <input type="search" name="q" value={q.value} onInput={(e) => (q.value = e.currentTarget.value)} />
        </label>
        <LanguageFilter value={language} />
        <button type="submit">Search</button>
      </form>
      {error.value && (
        <p class="error" role="alert">
          {error.value}
        </p>
      )}
      <ul class="cards">
        {items.value.map((s) => (
          <li key={s.id}>
            <a class="button card" href={`/snippets/${s.id}`}>
              <strong>{s.title}</strong>
              <span>
                {s.language} · {s.visibility} · rev {s.revision}
                {s.forked_from ? " · fork" : ""}
              </span>
              {s.metrics && (
                <span
                  class="metrics"
                  data-testid="snippet-metrics"
                  title={`Revision ${s.metrics.revision}: ${s.metrics.code_lines} lines of code; mean complexity ${s.metrics.ccn_avg ?? "–"}`}
                >
                  {metricsLabel(s.metrics)}
                </span>
              )}
              <time dateTime={s.updated_at}>{new Date(s.updated_at).toLocaleString()}</time>
            </a>
          </li>
        ))}
      </ul>
      {items.value.length === 0 && !error.value && <p>No snippets yet.</p>}
      {cursor.value && <button onClick={() => void load(true)}>Load more</button>}
    </section>
  );
}
