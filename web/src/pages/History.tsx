// My executions (everyone's for administrators), filtered, with cursor pages; and one execution.
import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { currentUser } from "../api/auth";
import { api, describe, unwrap, type Execution, type Phase, type Submission } from "../api/client";
import { ResultSummary, VerdictBadge } from "../components/ResultSummary";
import { LanguageFilter } from "../components/LanguageFilter";
import { formatKb, formatMs, VERDICT_LABELS } from "../run/runner";
import { replaceKeeping } from "../drafts";
import { navigate } from "../state";

type Status = "queued" | "running" | "finished";

export function History() {
  const language = useSignal("");
  const status = useSignal("");
  const verdict = useSignal("");
  const after = useSignal("");
  const before = useSignal("");
  const all = useSignal(false);
  const items = useSignal<Execution[]>([]);
  const cursor = useSignal<string | null>(null);
  const error = useSignal("");
  const user = currentUser.value;

  const load = async (more = false) => {
    error.value = "";
    try {
      const page = await unwrap(
        api.GET("/v1/executions", {
          params: {
            query: {
              scope: all.value ? "all" : "mine",
              language: language.value || undefined,
              status: (status.value || undefined) as Status | undefined,
              verdict: (verdict.value || undefined) as Execution["verdict"] | undefined,
              created_after: after.value ? new Date(after.value).toISOString() : undefined,
              created_before: before.value ? new Date(before.value).toISOString() : undefined,
              cursor: more ? (cursor.value ?? undefined) : undefined,
              limit: 20,
              details: false,
            },
          },
        }),
      );
      items.value = more ? [...items.value, ...page.items] : page.items;
      cursor.value = page.next_cursor ?? null;
    } catch (err) {
      error.value = describe(err);
    }
  };
  useEffect(() => {
    if (user) void load();
  }, [user?.id]);

  if (!user) return <p>Sign in to see the history of your runs.</p>;

  return (
    <section aria-labelledby="history-title">
      <h1 id="history-title">History</h1>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          void load();
        }}
      >
        <LanguageFilter value={language} />
        <label>
          Status
          <select name="status" value={status.value} onChange={(e) => (status.value = e.currentTarget.value)}>
            <option value="">Any</option>
            <option value="queued">Queued</option>
            <option value="running">Running</option>
            <option value="finished">Finished</option>
          </select>
        </label>
        <label>
          Verdict
          <select name="verdict" value={verdict.value} onChange={(e) => (verdict.value = e.currentTarget.value)}>
            <option value="">Any</option>
            {Object.entries(VERDICT_LABELS).map(([id, label]) => (
              <option value={id} key={id}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label>
          From
          <input
            type="datetime-local"
            name="after"
            value={after.value}
            onInput={(e) => (after.value = e.currentTarget.value)}
          />
        </label>
        <label>
          To
          <input
            type="datetime-local"
            name="before"
            value={before.value}
            onInput={(e) => (before.value = e.currentTarget.value)}
          />
        </label>
        {user.role === "admin" && (
          <label class="inline">
            <input type="checkbox" checked={all.value} onChange={(e) => (all.value = e.currentTarget.checked)} />
            Everyone's
          </label>
        )}
        <button type="submit">Filter</button>
      </form>
      {error.value && (
        <p class="error" role="alert">
          {error.value}
        </p>
      )}
      <div class="table-scroll">
        <table class="history">
          <caption class="sr-only">Executions, newest first</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Language</th>
              <th scope="col">Verdict</th>
              <th scope="col">Time</th>
              <th scope="col">Memory</th>
            </tr>
          </thead>
          <tbody>
            {items.value.map((e) => (
              <tr key={e.id}>
                <td>
                  <a href={`/history/${e.id}`}>{new Date(e.created_at).toLocaleString()}</a>
                </td>
                <td>
                  {e.language}
                  {e.api && <ViaApi api={e.api} />}
                </td>
                <td>
                  {e.status === "finished" ? <VerdictBadge verdict={e.verdict} /> : e.status}
                </td>
                <td>{formatMs((e.run ?? e.compile)?.wall_time_ms)}</td>
                <td>{formatKb((e.run ?? e.compile)?.memory_kb)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {items.value.length === 0 && !error.value && <p>No executions match.</p>}
      {cursor.value && <button onClick={() => void load(true)}>Load more</button>}
    </section>
  );
}

function PhaseOutput({ title, phase }: { title: string; phase: Phase | null | undefined }) {
  if (!phase) return null;
  return (
    <section aria-label={title}>
      <h2>{title}</h2>
      {phase.stdout ? <pre class="stdout">{phase.stdout}</pre> : null}
      {phase.stderr ? <pre class="stderr">{phase.stderr}</pre> : null}
      {!phase.stdout && !phase.stderr && <p>No output.</p>}
    </section>
  );
}

export function ExecutionDetail({ id }: { id: string }) {
  const execution = useSignal<Execution | null>(null);
  const submission = useSignal<Submission | null>(null);
  const error = useSignal("");
  useEffect(() => {
    const path = { execution_id: id };
    void Promise.all([
      unwrap(api.GET("/v1/executions/{execution_id}", { params: { path } })),
      unwrap(api.GET("/v1/executions/{execution_id}/submission", { params: { path } })),
    ])
      .then(([e, s]) => {
        execution.value = e;
        submission.value = s;
      })
      .catch((err: unknown) => (error.value = describe(err)));
  }, [id]);
  if (error.value)
    return (
      <p class="error" role="alert">
        {error.value}
      </p>
    );
  const e = execution.value;
  const s = submission.value;
  if (!e || !s) return <p>Loading…</p>;
  const files = s.files;
  return (
    <section aria-labelledby="execution-title">
      <h1 id="execution-title">
        {e.language} run · {new Date(e.created_at).toLocaleString()}
        {e.api && <ViaApi api={e.api} />}
      </h1>
      <ResultSummary execution={e} />
      <section aria-label="Code">
        <h2>Code</h2>
        {files.map((f) => (
          <figure key={f.name}>
            <figcaption>{f.name}</figcaption>
            {f.encoding === "base64" ? (
              <p>Binary file ({atob(f.content).length} bytes)</p>
            ) : (
              <pre class="code">{f.content}</pre>
            )}
          </figure>
        ))}
        {s.stdin ? (
          <figure>
            <figcaption>Standard input</figcaption>
            <pre class="code">{s.stdin}</pre>
          </figure>
        ) : null}
        <button
          onClick={() => {
            // The editor holds text: binary input files stay behind.
            const text = files.filter((f) => f.encoding !== "base64").map(({ name, content }) => ({ name, content }));
            // A new entry first: Back returns here, and twice to the editor's code as it was.
            navigate("/");
            const when = new Date(e.created_at).toLocaleString();
            replaceKeeping(
              { language: e.language, version: "", files: text, snippet: null },
              `Opened the code of the ${e.language} run of ${when}.`,
            );
          }}
        >
          Open in the editor
        </button>
      </section>
      <PhaseOutput title="Compilation" phase={e.compile} />
      <PhaseOutput title="Run" phase={e.run} />
    </section>
  );
}

const API_NAMES: Record<NonNullable<Execution["api"]>, string> = { judge0: "Judge0 API", piston: "Piston API" };

/** Executions submitted through the Judge0 or Piston shapes of the API (docs/compat.md). */
function ViaApi({ api }: { api: NonNullable<Execution["api"]> }) {
  return <span class="via-api">via {API_NAMES[api]}</span>;
}
