// Lint as you type (docs/design/collaboration-and-analysis.md 2.5): a CodeMirror lint source asking
// POST /v1/analyses for `lint` 600 ms after the last change, for every language whose tools offer
// it. Diagnostics about the open file become marks (their quick fixes, actions); the others are
// counted per file (tab badges). The compiler's messages after a run (source "compiler") live in the
// same lint state: each side keeps the other's marks when it replaces its own.
import {
  forEachDiagnostic,
  linter,
  setDiagnostics,
  setDiagnosticsEffect,
  type Action,
  type Diagnostic,
} from "@codemirror/lint";
import {
  ChangeSet,
  StateEffect,
  StateField,
  type ChangeDesc,
  type EditorState,
  type Extension,
  type Text,
  type TransactionSpec,
} from "@codemirror/state";
import type { EditorView } from "@codemirror/view";
import { AnalysisClient, offers, type AnalysisDiagnostic, type AnalysisFile, type QuickFix } from "./client";

/** What a lint needs to know about the editor state it runs for. */
export interface LintContext {
  language: string;
  /** A version prefix; null or "" for the language's default. */
  version: string | null;
  /** The file this state shows (its diagnostics become marks). */
  fileName: string;
  /** The program's files, sent together (the open one's content is taken from the state). */
  files: AnalysisFile[];
}

export interface ProblemCount {
  error: number;
  warning: number;
  info: number;
}
/** Per file name, what the latest analysis found. */
export type FileProblems = Record<string, ProblemCount>;

export interface AnalysisLintOptions {
  /** The state's context, or null not to lint it (a viewer, say). */
  context: (state: EditorState) => LintContext | null;
  /** Every file's counts after each analysis (empty when nothing was analysed). */
  onProblems?: (problems: FileProblems) => void;
  /** Milliseconds after the last change (600). */
  delay?: number;
  client?: AnalysisClient;
}

export const COMPILER_SOURCE = "compiler";
const RETRY_PENDING_MS = 3_000;

/** Asks for a fresh lint (the language, version or tools changed: the document did not). */
export const relint = StateEffect.define<null>();

// ---- Positions. ----

/** A 1-based line and UTF-16 column (the API's) as a document position, clamped into the document. */
export function offset(doc: Text, line: number, column: number): number {
  if (line > doc.lines) return doc.length;
  const at = doc.line(Math.max(line, 1));
  return at.from + Math.min(Math.max(column - 1, 0), at.length);
}

// ---- Quick fixes: edits computed against the analysed document, mapped through later changes. ----

/** One analysis' diagnostics (their fixes' positions are in the document that was analysed). */
type Batch = { readonly doc: Text };
const batchOf = new WeakMap<Diagnostic, Batch>();

/** The changes since the diagnostics of the latest analysis were set. */
const sinceAnalysis = StateField.define<{ batch: Batch | null; changes: ChangeDesc }>({
  create: (state) => ({ batch: null, changes: ChangeSet.empty(state.doc.length).desc }),
  update(value, tr) {
    let next = tr.docChanged ? { batch: value.batch, changes: value.changes.composeDesc(tr.changes.desc) } : value;
    for (const effect of tr.effects) {
      if (!effect.is(setDiagnosticsEffect)) continue;
      for (const diagnostic of effect.value) {
        const batch = batchOf.get(diagnostic);
        if (batch && batch !== next.batch) next = { batch, changes: ChangeSet.empty(tr.newDoc.length).desc };
      }
    }
    return next;
  },
});

interface Edit {
  from: number;
  to: number;
  insert: string;
}

function applyFix(view: EditorView, batch: Batch, edits: Edit[]): void {
  const since = view.state.field(sinceAnalysis, false);
  if (!since || since.batch !== batch) return; // an older analysis' fix: the next lint offers it again
  const changes: Edit[] = [];
  for (const edit of edits) {
    // Text edited inside the range since: the fix no longer knows what it replaces.
    if (since.changes.touchesRange(edit.from, edit.to) && edit.from !== edit.to) return;
    const from = since.changes.mapPos(edit.from, edit.from === edit.to ? -1 : 1);
    const to = edit.from === edit.to ? from : Math.max(from, since.changes.mapPos(edit.to, -1));
    changes.push({ from, to, insert: edit.insert });
  }
  changes.sort((a, b) => a.from - b.from || a.to - b.to);
  // All of the fix's edits in one transaction: one undo step.
  view.dispatch({ changes, userEvent: "input.fix" });
}

function fixAction(doc: Text, fix: QuickFix, fileName: string, batch: Batch): Action | null {
  // Only the open file's edits can be applied here (the tools' fixes stay within a file).
  const edits = fix.edits
    .filter((edit) => edit.file === fileName)
    .map((edit) => {
      const from = offset(doc, edit.line, edit.column);
      return { from, to: Math.max(from, offset(doc, edit.end_line, edit.end_column)), insert: edit.text };
    });
  if (edits.length === 0) return null;
  return {
    name: fix.applicability === "unsafe" ? `${fix.title} (unsafe)` : fix.title,
    markClass: fix.applicability === "unsafe" ? "cm-fix-unsafe" : undefined,
    apply: (view) => applyFix(view, batch, edits),
  };
}

// ---- Diagnostics. ----

function renderMessage(d: AnalysisDiagnostic): () => Node {
  return () => {
    const message = document.createElement("span");
    message.textContent = d.message;
    if (d.code) {
      const safeUrl = d.url && /^https?:\/\//i.test(d.url) ? d.url : null;
      const code = document.createElement(safeUrl ? "a" : "code");
      code.className = "cm-diagnosticCode";
      code.textContent = d.code;
      if (code instanceof HTMLAnchorElement && safeUrl) {
        code.href = safeUrl;
        code.target = "_blank";
        code.rel = "noopener noreferrer";
        code.title = `${d.source} ${d.code}: the rule's documentation`;
      }
      message.append(" ", code);
    }
    return message;
  };
}

export function toDiagnostic(doc: Text, d: AnalysisDiagnostic, fileName: string, batch: Batch): Diagnostic {
  const from = offset(doc, d.line, d.column);
  const to = Math.max(from, offset(doc, d.end_line, d.end_column));
  const actions = (d.fixes ?? []).map((fix) => fixAction(doc, fix, fileName, batch)).filter((a) => a !== null);
  const diagnostic: Diagnostic = {
    from,
    to,
    severity: d.severity,
    source: d.source,
    message: d.code ? `${d.message} [${d.code}]` : d.message,
    renderMessage: renderMessage(d),
    actions,
  };
  batchOf.set(diagnostic, batch);
  return diagnostic;
}

/** The state's diagnostics at their current positions (those matching `keep`). */
function current(state: EditorState, keep: (d: Diagnostic) => boolean = () => true): Diagnostic[] {
  const found: Diagnostic[] = [];
  forEachDiagnostic(state, (d, from, to) => {
    if (!keep(d)) return;
    const moved = from === d.from && to === d.to ? d : { ...d, from, to };
    const batch = batchOf.get(d);
    if (batch) batchOf.set(moved, batch);
    found.push(moved);
  });
  return found;
}

const isCompiler = (d: Diagnostic) => d.source === COMPILER_SOURCE;

/** Analysis and compiler diagnostics together; a compiler message says the same as an analyser's
 * at the same place, so that one is kept. */
function merge(analysis: Diagnostic[], compiler: Diagnostic[]): Diagnostic[] {
  const taken = new Set(compiler.map((c) => `${c.from}:${c.severity}`));
  return [...analysis.filter((d) => !taken.has(`${d.from}:${d.severity}`)), ...compiler];
}

/** Sets the compiler's messages (source "compiler"), keeping the analysers' marks. */
export function withCompilerDiagnostics(state: EditorState, compiler: Diagnostic[]): TransactionSpec {
  return setDiagnostics(state, merge(current(state, (d) => !isCompiler(d)), compiler));
}

function countByFile(diagnostics: readonly AnalysisDiagnostic[]): FileProblems {
  const counts: FileProblems = {};
  for (const d of diagnostics) {
    const count = (counts[d.file] ??= { error: 0, warning: 0, info: 0 });
    if (d.severity === "error") count.error++;
    else if (d.severity === "warning") count.warning++;
    else count.info++;
  }
  return counts;
}

// ---- The extension. ----

/** Linting through the analyses API: the lint source, its refresh effect and the fixes' mapping. */
export function analysisLinter(options: AnalysisLintOptions): Extension {
  const client = options.client ?? new AnalysisClient();
  let retry: ReturnType<typeof setTimeout> | undefined;
  const later = (view: EditorView, ms: number) => {
    clearTimeout(retry);
    retry = setTimeout(() => {
      if (view.dom.isConnected) view.dispatch({ effects: relint.of(null) });
    }, ms);
  };

  const source = async (view: EditorView): Promise<readonly Diagnostic[]> => {
    clearTimeout(retry);
    const state = view.state;
    const context = options.context(state);
    if (!context || !offers(context.language, "lint", context.version)) {
      client.cancel();
      options.onProblems?.({});
      return current(view.state, isCompiler);
    }
    const content = state.doc.toString();
    const files = context.files.map((f) => (f.name === context.fileName ? { name: f.name, content } : f));
    if (!files.some((f) => f.name === context.fileName)) files.push({ name: context.fileName, content });
    const outcome = await client.analyse({
      language: context.language,
      version: context.version || null,
      files,
      checks: ["lint"],
    });
    // Whatever else happened, the marks stay as they are: nothing to say to someone typing.
    if (outcome.kind === "busy") later(view, outcome.retryAfterMs);
    if (outcome.kind === "pending") later(view, RETRY_PENDING_MS);
    if (outcome.kind !== "result") return current(view.state);
    const result = outcome.result;
    if (result.status !== "ok" && result.status !== "unsupported") return current(view.state);
    const diagnostics = result.diagnostics ?? [];
    options.onProblems?.(countByFile(diagnostics));
    const batch: Batch = { doc: state.doc };
    const mine = diagnostics
      .filter((d) => d.file === context.fileName)
      .map((d) => toDiagnostic(state.doc, d, context.fileName, batch));
    // The compiler's marks as they are now (a run may have finished meanwhile).
    return merge(mine, current(view.state, isCompiler));
  };

  return [
    linter(source, {
      delay: options.delay ?? 600,
      needsRefresh: (update) => update.transactions.some((tr) => tr.effects.some((e) => e.is(relint))),
    }),
    sinceAnalysis,
  ];
}
