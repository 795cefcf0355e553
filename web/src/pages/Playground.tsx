// The editor, its run controls and the output: the app's main screen.
import { useSignal } from "@preact/signals";
import { useRef } from "preact/hooks";
import type { Execution, Schemas } from "../api/client";
import { Editor, type EditorControls } from "../editor/Editor";
import { offers, type FileProblems, type FormatOutcome } from "../editor/analysis";
import { useTabBadges } from "../analysis/TabBadges";
import { Tabs } from "../components/Tabs";
import { CompilerMessages } from "../components/CompilerMessages";
import type { CompilerDiagnostic } from "../editor/diagnostics";
import { SnippetBar } from "../components/SnippetBar";
import { RunOutput } from "../run/Output";
import { runBatch, runInteractive, type OutputChunk, type RunHandle } from "../run/runner";
import { RunOptionsPanel } from "../run/RunOptions";
import { runOptions, withOptions } from "../run/options";
import type { TerminalApi } from "../run/Terminal";
import { LimitsLine, useCountdown } from "../run/Limits";
import { lazy } from "../components/lazy";
import { resetToExample, switchLanguage } from "../drafts";
import { editorEpoch, languages, setFileContent, theme, updateWorkspace, workspace } from "../state";

type Mode = "output" | "terminal";

const Terminal = lazy(async () => (await import("../run/Terminal")).Terminal);

export function Playground() {
  const ws = workspace.value;
  const mode = useSignal<Mode>((localStorage.getItem("crh.mode") as Mode | null) ?? "output");
  const running = useSignal(false);
  const status = useSignal("");
  const chunks = useSignal<OutputChunk[]>([]);
  const result = useSignal<Execution | null>(null);
  const error = useSignal("");
  const jump = useSignal<CompilerDiagnostic | null>(null);
  const handle = useRef<RunHandle | null>(null);
  // Stop pressed before the run's handle exists (the terminal still loading): it stops on arrival.
  const stopRequested = useRef(false);
  // Runs ended (the limits line reads the budget again) and the countdown after a refused run.
  const runsEnded = useSignal(0);
  const retry = useCountdown();
  const terminal = useRef<TerminalApi | null>(null);
  const editor = useRef<EditorControls | null>(null);
  const page = useRef<HTMLElement>(null);
  const problems = useSignal<FileProblems>({});
  const formatting = useSignal(false);
  const formatNotice = useSignal<{ text: string; failed: boolean } | null>(null);
  const noticeTimer = useRef<number | undefined>(undefined);
  const formats = useRef(0);
  const language = languages.value.find((l) => l.id === ws.language);

  const setMode = (next: Mode) => {
    mode.value = next;
    localStorage.setItem("crh.mode", next);
  };

  const submission = (): Schemas["ExecutionCreate"] => {
    const files = workspace.value.files;
    const base: Schemas["ExecutionCreate"] = {
      language: workspace.value.language,
      version: workspace.value.version || null,
      files: files.map((f) => ({ name: f.name, content: f.content })),
      entry: files.length > 1 ? files[0].name : null,
      stdin: mode.value === "output" ? workspace.value.stdin : "",
      args: [],
      compile_options: [],
      compare: "exact",
    };
    const applied = withOptions(base, runOptions.value, language?.compiled ?? false);
    // The interactive socket runs one program fed from the terminal: no judged cases there.
    return mode.value === "terminal" ? { ...applied, test_cases: null } : applied;
  };

  const run = async () => {
    if (running.value || retry.seconds > 0) return;
    handle.current?.close();
    handle.current = null;
    stopRequested.current = false;
    running.value = true;
    chunks.value = [];
    result.value = null;
    error.value = "";
    status.value = "Submitting…";
    const callbacks = {
      onCreated: () => {
        status.value = "Queued";
      },
      onStatus: (value: string, phase?: string) => {
        if (stopRequested.current) return; // "Stopping…" until the result says how it ended
        status.value = phase === "compile" ? "Compiling…" : value === "running" ? "Running…" : value;
      },
      onOutput: (chunk: OutputChunk) => {
        if (mode.value === "terminal" && chunk.phase === "run") {
          terminal.current?.write(chunk.cut === undefined ? chunk.data : `\n[${chunk.cut}]\n`);
        } else {
          chunks.value = [...chunks.value, chunk];
        }
      },
      onResult: (execution: Execution) => {
        result.value = execution;
        running.value = false;
        status.value = "Finished";
        runsEnded.value++;
      },
      onError: (message: string) => {
        error.value = message;
        running.value = false;
        status.value = "";
        runsEnded.value++;
      },
      // Not an error: the budget comes back, and the limits line counts down to it.
      onRefused: (seconds: number) => {
        running.value = false;
        status.value = "";
        retry.start(seconds);
        runsEnded.value++;
      },
    };
    if (mode.value === "terminal") {
      // xterm.js loads on first use: wait for it rather than lose the program's first output.
      for (let i = 0; i < 200 && !terminal.current; i++) await new Promise((done) => setTimeout(done, 50));
      terminal.current?.clear();
      terminal.current?.focus();
      handle.current = runInteractive(submission(), callbacks);
    } else {
      handle.current = runBatch(submission(), callbacks);
    }
    if (stopRequested.current) handle.current.stop();
  };

  const stop = () => {
    stopRequested.current = true;
    handle.current?.stop();
    status.value = "Stopping…";
  };

  // Each language keeps its own code: the one left is remembered, the one chosen comes back as it
  // was left, or as its starter example (drafts.ts).
  const changeLanguage = (id: string) => {
    const next = languages.value.find((l) => l.id === id);
    if (next) switchLanguage(next);
  };

  // Format: the button and Shift-Alt-F both end here; the notice fades after a moment.
  const canFormat = offers(ws.language, "format", ws.version);
  const onFormat = (pending: Promise<FormatOutcome>) => {
    window.clearTimeout(noticeTimer.current);
    const started = ++formats.current;
    formatting.value = true;
    formatNotice.value = null;
    void pending.then((outcome) => {
      if (started !== formats.current || outcome.kind === "aborted") return; // a newer format reports
      formatting.value = false;
      formatNotice.value = { text: outcome.message, failed: outcome.kind === "failed" };
      noticeTimer.current = window.setTimeout(
        () => (formatNotice.value = null),
        outcome.kind === "failed" ? 6000 : 2500,
      );
    });
  };

  // Problems the latest lint found in the other files: a badge on their tabs.
  useTabBadges(page, ws.files.map((f) => f.name), ws.active, problems.value);

  const diagnostics = result.value?.compile?.diagnostics ?? NO_DIAGNOSTICS;
  const goTo = (d: CompilerDiagnostic) => {
    const index = ws.files.findIndex((f) => f.name === d.file);
    if (index >= 0 && index !== ws.active) updateWorkspace({ active: index });
    if (index >= 0) jump.value = { ...d };
  };

  return (
    <section class="playground" aria-label="Playground" ref={page}>
      <div class="toolbar">
        <label>
          Language
          <select value={ws.language} onChange={(e) => changeLanguage(e.currentTarget.value)} name="language">
            {languages.value.map((l) => (
              <option value={l.id} key={l.id}>
                {l.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Version
          <select
            value={ws.version}
            name="version"
            onChange={(e) => updateWorkspace({ version: e.currentTarget.value })}
          >
            <option value="">Latest{language?.version ? ` (${language.version})` : ""}</option>
            {language?.versions.map((v) => (
              <option value={v.variant} key={v.variant}>
                {v.name}
                {v.version ? ` — ${v.version}` : ""}
              </option>
            ))}
          </select>
        </label>
        <button
          onClick={() => language && resetToExample(language)}
          disabled={!language}
          title="Replace the code with this language's example (your code can be restored)"
        >
          Reset to example
        </button>
        <fieldset class="segmented">
          <legend>Input</legend>
          <label>
            <input type="radio" name="mode" checked={mode.value === "output"} onChange={() => setMode("output")} />
            Stdin box
          </label>
          <label>
            <input
              type="radio"
              name="mode"
              checked={mode.value === "terminal"}
              onChange={() => setMode("terminal")}
            />
            Interactive terminal
          </label>
        </fieldset>
        <div class="run-buttons">
          {formatNotice.value && (
            <span class={formatNotice.value.failed ? "format-notice failed" : "format-notice"} role="status">
              {formatNotice.value.text}
            </span>
          )}
          {canFormat && (
            <button
              onClick={() => editor.current?.format()}
              disabled={formatting.value}
              title="Format the open file (Shift+Alt+F)"
            >
              Format
            </button>
          )}
          <button
            class="primary"
            onClick={run}
            disabled={running.value || retry.seconds > 0}
            title="Run (Ctrl/Cmd+Enter)"
          >
            ▶ Run
          </button>
          <button onClick={stop} disabled={!running.value}>
            ■ Stop
          </button>
        </div>
      </div>
      <LimitsLine refresh={runsEnded.value} interactive={mode.value === "terminal"} retryIn={retry.seconds} />
      <SnippetBar />
      <Tabs />
      <Editor
        files={ws.files}
        active={ws.active}
        language={ws.language}
        version={ws.version}
        theme={theme.value}
        epoch={editorEpoch.value}
        onChange={setFileContent}
        onRun={() => void run()}
        diagnostics={diagnostics}
        jump={jump.value}
        onProblems={(found) => (problems.value = found)}
        onFormat={onFormat}
        controls={editor}
      />
      <p class="hint">Ctrl/Cmd+Enter runs. Your code is kept in this browser between visits.</p>
      <RunOptionsPanel language={language} />
      <div class="io">
        {mode.value === "output" ? (
          <label class="stdin">
            Standard input
            <textarea
              rows={3}
              value={ws.stdin}
              onInput={(e) => updateWorkspace({ stdin: e.currentTarget.value })}
              spellcheck={false}
            />
          </label>
        ) : null}
        {mode.value === "terminal" && (
          <div class="terminal-wrap">
            <Terminal
              theme={theme.value}
              register={(api) => (terminal.current = api)}
              onLine={(line) => handle.current?.send?.(line)}
              onEof={() => handle.current?.eof?.()}
              onInterrupt={() => handle.current?.stop()}
            />
            <p class="hint">Type a line and press Enter to send it; Ctrl+D ends input; Ctrl+C stops the program.</p>
          </div>
        )}
      </div>
      <div class="status" role="status" aria-live="polite">
        {status.value}
      </div>
      {error.value && (
        <div class="error" role="alert">
          {error.value}
        </div>
      )}
      <RunOutput chunks={chunks.value} result={result.value} showRun={mode.value === "output"} />
      <CompilerMessages diagnostics={diagnostics} onSelect={goTo} />
    </section>
  );
}

const NO_DIAGNOSTICS: CompilerDiagnostic[] = [];
