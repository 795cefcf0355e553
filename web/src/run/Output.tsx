// A run's streamed output and its result: the compiler's output (when it said anything or failed),
// the program's output, and the result summary. The playground and a live session's shared run
// show a run with it.
import { useSignal } from "@preact/signals";
import type { Execution } from "../api/client";
import { ResultSummary } from "../components/ResultSummary";
import { AnsiText, plainText } from "./ansi";
import type { OutputChunk } from "./runner";
import "./Output.css";

interface Props {
  chunks: OutputChunk[];
  result: Execution | null;
  /** The program's output panel (the playground's terminal mode shows it in the terminal instead). */
  showRun?: boolean;
}

interface Segment {
  stream: "stdout" | "stderr";
  text: string;
  cut?: string;
}

/** Consecutive chunks of one stream as one segment: a colour set in one chunk and used in the next
 * stays one piece of text for the ANSI parser. */
function segments(chunks: OutputChunk[]): Segment[] {
  const out: Segment[] = [];
  for (const chunk of chunks) {
    const last = out[out.length - 1];
    if (chunk.cut !== undefined) out.push({ stream: chunk.stream, text: "", cut: chunk.cut });
    else if (last && last.cut === undefined && last.stream === chunk.stream) last.text += chunk.data;
    else out.push({ stream: chunk.stream, text: chunk.data });
  }
  return out;
}

function Segments({ parts }: { parts: Segment[] }) {
  return (
    <>
      {parts.map((part, i) =>
        part.cut !== undefined ? (
          <CutMark key={i} text={part.cut} />
        ) : (
          <span class={part.stream} key={i}>
            <AnsiText text={part.text} />
          </span>
        ),
      )}
    </>
  );
}

/** A line of its own where output was cut, never mistaken for what the program printed. */
function CutMark({ text }: { text: string }) {
  return (
    <span class="output-cut" role="note" data-testid="output-cut">
      {text}
    </span>
  );
}

function sizeLabel(bytes: number): string {
  return bytes >= 1 << 20 ? `${bytes / (1 << 20)} MiB` : bytes >= 1024 ? `${Math.round(bytes / 1024)} KiB` : `${bytes} B`;
}

/** The marks for what the result says was not kept (the run's output beyond limits.output_bytes). */
function truncation(result: Execution | null): string[] {
  const run = result?.run;
  if (!result || !run) return [];
  const cap = sizeLabel(result.limits.output_bytes);
  return (["stdout", "stderr"] as const)
    .filter((stream) => run[`${stream}_truncated`])
    .map((stream) => `Output truncated here: only the first ${cap} of ${stream} were kept (the output limit).`);
}

export function RunOutput({ chunks, result, showRun = true }: Props) {
  const compileOutput = segments(chunks.filter((c) => c.phase === "compile"));
  const runOutput = segments(chunks.filter((c) => c.phase === "run"));
  const compileFailed = result?.verdict === "compilation_error";
  const cuts = truncation(result);
  return (
    <>
      {(compileFailed || compileOutput.length > 0) && (
        <section class={compileFailed ? "compile failed" : "compile"} aria-label="Compiler output">
          <h2>{compileFailed ? "Compilation failed" : "Compiler output"}</h2>
          <pre>
            <Segments parts={compileOutput} />
          </pre>
        </section>
      )}
      {showRun && (
        <section class="output" aria-label="Program output">
          <div class="output-head">
            <h2>Output</h2>
            <OutputActions parts={runOutput} result={result} />
          </div>
          <pre data-testid="output">
            {runOutput.length > 0 || cuts.length > 0 ? <Segments parts={runOutput} /> : null}
            {cuts.map((text) => (
              <CutMark key={text} text={text} />
            ))}
          </pre>
        </section>
      )}
      {result && <ResultSummary execution={result} />}
    </>
  );
}

/** Copy and Download of the output as plain text (colours left out), as it was shown. */
function OutputActions({ parts, result }: { parts: Segment[]; result: Execution | null }) {
  const copied = useSignal("");
  const text = () => parts.map((p) => (p.cut !== undefined ? `\n[${p.cut}]\n` : plainText(p.text))).join("");
  const empty = parts.length === 0;
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text());
      copied.value = "Copied";
    } catch {
      copied.value = "Could not copy: select the output and copy it instead";
    }
    window.setTimeout(() => (copied.value = ""), 2000);
  };
  const download = () => {
    const url = URL.createObjectURL(new Blob([text()], { type: "text/plain;charset=utf-8" }));
    const link = document.createElement("a");
    link.href = url;
    link.download = result ? `output-${result.id}.txt` : "output.txt";
    link.click();
    // The download has its own copy of the blob once started.
    window.setTimeout(() => URL.revokeObjectURL(url), 1000);
  };
  return (
    <div class="output-actions">
      {copied.value && (
        <span class="output-copied" role="status">
          {copied.value}
        </span>
      )}
      <button type="button" onClick={() => void copy()} disabled={empty} title="Copy the output as text">
        Copy
      </button>
      <button type="button" onClick={download} disabled={empty} title="Download the output as a .txt file">
        Download
      </button>
    </div>
  );
}
