// The session's shared run, shown to everyone (viewers too): who started it, in their colour, its
// live output and its result, as the playground shows a run.
import { CompilerMessages } from "../components/CompilerMessages";
import type { CompilerDiagnostic } from "../editor/diagnostics";
import { RunOutput } from "../run/Output";
import { useSignal } from "@preact/signals";
import type { SharedRuns } from "./runs";

interface Props {
  runs: SharedRuns;
  /** This page's participant id ("you" beside the runner's name). */
  me: string;
  /** Editors type an interactive run's input. */
  editor: boolean;
  /** A compiler message was clicked: show its file. */
  onSelect: (diagnostic: CompilerDiagnostic) => void;
}

const NO_DIAGNOSTICS: CompilerDiagnostic[] = [];

export function RunPanel({ runs, me, editor, onSelect }: Props) {
  const typed = useSignal("");
  const run = runs.run.value;
  if (!run) return null;
  const result = runs.result.value;
  const color = run.color ?? "var(--muted)";
  const started = new Date(run.started_at);
  return (
    <section class="shared-run" aria-label="Shared run" data-testid="shared-run">
      <div class="run-head">
        <p class="run-by" data-testid="run-by">
          <span class="dot" style={{ backgroundColor: color }} aria-hidden="true" />
          Run by{" "}
          <strong class="runner" style={{ borderColor: color }}>
            {run.runner_name}
          </strong>
          {run.runner_participant_id === me && <span class="you"> (you)</span>}
          <time class="hint" dateTime={run.started_at}>
            {" "}
            at {started.toLocaleTimeString()}
          </time>
        </p>
        <span class="status" role="status" aria-live="polite" data-testid="run-status">
          {runs.status.value}
        </span>
      </div>
      {runs.error.value && (
        <div class="error" role="alert">
          {runs.error.value}
        </div>
      )}
      {run.interactive && editor && runs.going.value && (
        <form
          class="run-input"
          data-testid="run-input"
          onSubmit={(e) => {
            e.preventDefault();
            void runs.send(`${typed.value}\n`);
            typed.value = "";
          }}
        >
          <input
            name="input"
            aria-label="Input for the program"
            placeholder="Type a line for the program, Enter sends it"
            autocomplete="off"
            spellcheck={false}
            value={typed.value}
            onInput={(e) => (typed.value = e.currentTarget.value)}
          />
          <button type="submit">Send</button>
          <button type="button" onClick={() => void runs.send("", true)}>
            End input
          </button>
        </form>
      )}
      <RunOutput chunks={runs.chunks.value} result={result} />
      <CompilerMessages diagnostics={result?.compile?.diagnostics ?? NO_DIAGNOSTICS} onSelect={onSelect} />
    </section>
  );
}
