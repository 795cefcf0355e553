// Analyses for any CodeMirror editor built on our setup (the playground's, a live session's):
// lint marks as you type with quick fixes, a lint gutter (the compiler's messages after a run
// share it), and Format on Shift-Alt-F. A live session's editor can add `editorAnalysis(...)` to
// its editors' states (not its viewers'): fixes and formats are ordinary transactions, so
// y-codemirror carries them to everyone.
import { lintGutter } from "@codemirror/lint";
import type { EditorState, Extension } from "@codemirror/state";
import { keymap, type EditorView } from "@codemirror/view";
import { AnalysisClient, loadAnalysers, offers } from "../analysis/client";
import { formatView, type FormatContext, type FormatOutcome } from "../analysis/format";
import { analysisLinter, type FileProblems, type LintContext } from "../analysis/lint";

export { AnalysisClient, analysers, loadAnalysers, offers } from "../analysis/client";
export type { FormatContext, FormatOutcome } from "../analysis/format";
export { relint, withCompilerDiagnostics, type FileProblems, type LintContext } from "../analysis/lint";

export interface EditorAnalysisOptions {
  /** The state's language, version, file and the program's files; null: no analysis (a viewer). */
  context: (state: EditorState) => LintContext | null;
  /** Every file's problem counts after each lint (tab badges). */
  onProblems?: (problems: FileProblems) => void;
  /** Shift-Alt-F formats (when the language offers `format`) and reports here. */
  onFormat?: (pending: Promise<FormatOutcome>) => void;
  /** The client formats go through (pass the one a Format button uses: a newer format aborts an older). */
  formatter?: AnalysisClient;
}

/** Formats `view`, or null when its language offers no formatter (or the state is not analysed). */
export function formatEditor(
  view: EditorView,
  context: FormatContext | null,
  client: AnalysisClient,
): Promise<FormatOutcome> | null {
  if (!context || !offers(context.language, "format", context.version)) return null;
  return formatView(view, context, client);
}

/** Lint marks with quick fixes, a lint gutter and Shift-Alt-F for one editor; its states may share
 * one instance (the lint client inside: a newer request aborts the previous one). Dispatch
 * `relint.of(null)` when the language or version changes without the document changing. */
export function editorAnalysis(options: EditorAnalysisOptions): Extension {
  void loadAnalysers();
  const formatter = options.formatter ?? new AnalysisClient();
  return [
    lintGutter(),
    analysisLinter({ context: options.context, onProblems: options.onProblems }),
    keymap.of([
      {
        key: "Shift-Alt-f",
        preventDefault: true,
        run: (view) => {
          const pending = formatEditor(view, options.context(view.state), formatter);
          if (!pending) return false;
          options.onFormat?.(pending);
          return true;
        },
      },
    ]),
  ];
}
