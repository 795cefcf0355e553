// A run's streamed output and its result: the compiler's output (when it said anything or failed),
// the program's output, and the result summary. The playground and a live session's shared run
// show a run with it.
import type { Execution } from "../api/client";
import { ResultSummary } from "../components/ResultSummary";
import type { OutputChunk } from "./runner";

interface Props {
  chunks: OutputChunk[];
  result: Execution | null;
  /** The program's output panel (the playground's terminal mode shows it in the terminal instead). */
  showRun?: boolean;
}

export function RunOutput({ chunks, result, showRun = true }: Props) {
  const compileOutput = chunks.filter((c) => c.phase === "compile");
  const runOutput = chunks.filter((c) => c.phase === "run");
  const compileFailed = result?.verdict === "compilation_error";
  return (
    <>
      {(compileFailed || compileOutput.length > 0) && (
        <section class={compileFailed ? "compile failed" : "compile"} aria-label="Compiler output">
          <h2>{compileFailed ? "Compilation failed" : "Compiler output"}</h2>
          <pre>
            {compileOutput.map((c, i) => (
              <span class={c.stream} key={i}>
                {c.data}
              </span>
            ))}
          </pre>
        </section>
      )}
      {showRun && (
        <section class="output" aria-label="Program output">
          <h2>Output</h2>
          <pre data-testid="output">
            {runOutput.map((c, i) => (
              <span class={c.stream} key={i}>
                {c.data}
              </span>
            ))}
          </pre>
        </section>
      )}
      {result && <ResultSummary execution={result} />}
    </>
  );
}
