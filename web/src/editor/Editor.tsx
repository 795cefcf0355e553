// CodeMirror 6: one view, one state per file tab (each keeps its own undo history). Analyses
// (./analysis.ts) lint each tab as it is typed in, with the compiler's messages after a run in the
// same lint marks, and format it.
import { indentWithTab } from "@codemirror/commands";
import { oneDark } from "@codemirror/theme-one-dark";
import { defaultHighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { Compartment, EditorState, Facet, Prec, type Extension, type StateEffect } from "@codemirror/state";
import { keymap } from "@codemirror/view";
import { classHighlighter } from "@lezer/highlight";
import { basicSetup, EditorView } from "codemirror";
import { useEffect, useRef } from "preact/hooks";
import { languages, type SourceFile, type Theme } from "../state";
import {
  AnalysisClient,
  analysers,
  editorAnalysis,
  formatEditor,
  loadAnalysers,
  relint,
  withCompilerDiagnostics,
  type FileProblems,
  type FormatOutcome,
  type LintContext,
} from "./analysis";
import { type CompilerDiagnostic, position, toLint } from "./diagnostics";
import { languageExtension } from "./languages";

interface Props {
  files: SourceFile[];
  active: number;
  language: string;
  /** The version chosen ("" for the default): analyses use its tools' settings. */
  version: string;
  theme: Theme;
  /** Changes when the files were replaced from outside (a snippet opened): states are rebuilt. */
  epoch: number;
  onChange: (index: number, content: string) => void;
  onRun: () => void;
  /** The last run's compiler messages: each tab marks those about its file. */
  diagnostics: CompilerDiagnostic[];
  /** A message to move the cursor to (its tab already chosen); a new object each time. */
  jump: CompilerDiagnostic | null;
  /** Every file's problem counts after each lint (tab badges). */
  onProblems?: (problems: FileProblems) => void;
  /** A format started (Shift-Alt-F or controls.format()). */
  onFormat?: (pending: Promise<FormatOutcome>) => void;
  /** Filled with what the page can ask of the editor (its Format button). */
  controls?: { current: EditorControls | null };
}

export interface EditorControls {
  /** Formats the open tab (reported through onFormat); false when its language has no formatter. */
  format: () => boolean;
}

/** Which of the files a tab's state shows. */
const fileIndex = Facet.define<number, number>({ combine: (values) => values[0] ?? 0 });

// Colours per theme. classHighlighter (stable tok-* classes) runs beside it, which turns off
// basicSetup's fallback style: the light theme names its style explicitly.
const lightHighlighting = syntaxHighlighting(defaultHighlightStyle);
export const themeExtension = (theme: Theme): Extension => (theme === "dark" ? oneDark : lightHighlighting);

export function Editor(editorProps: Props) {
  const { files, active, language, version, theme, epoch, diagnostics, jump, controls } = editorProps;
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const states = useRef<EditorState[]>([]);
  const languageExt = useRef<Extension>([]);
  const themeSlot = useRef(new Compartment());
  const languageSlot = useRef(new Compartment());
  const props = useRef(editorProps);
  props.current = editorProps;

  // Analyses: one lint client and one format client for all the tabs (latest wins in each).
  const lintContext = (state: EditorState): LintContext | null => {
    const { files: current, language: lang, version: ver } = props.current;
    const file = current[state.facet(fileIndex)];
    return file ? { language: lang, version: ver || null, fileName: file.name, files: current } : null;
  };
  const made = useRef<{ formatter: AnalysisClient; analysis: Extension } | null>(null);
  if (!made.current) {
    const client = new AnalysisClient();
    made.current = {
      formatter: client,
      analysis: editorAnalysis({
        context: lintContext,
        formatter: client,
        onProblems: (problems) => props.current.onProblems?.(problems),
        onFormat: (pending) => props.current.onFormat?.(pending),
      }),
    };
  }
  const { formatter, analysis } = made.current;
  if (controls)
    controls.current = {
      format: () => {
        const shown = view.current;
        const context = shown && lintContext(shown.state);
        const pending = shown && formatEditor(shown, context, formatter);
        if (!pending) return false;
        // Back to the code (the button took the focus): the cursor is where it was.
        shown.focus();
        props.current.onFormat?.(pending);
        return true;
      },
    };

  const makeState = (file: SourceFile, index: number, themeValue: Theme): EditorState =>
    EditorState.create({
      doc: file.content,
      extensions: [
        basicSetup,
        fileIndex.of(index),
        analysis,
        syntaxHighlighting(classHighlighter),
        languageSlot.current.of(languageExt.current),
        themeSlot.current.of(themeExtension(themeValue)),
        Prec.highest(
          keymap.of([
            {
              key: "Mod-Enter",
              run: () => {
                props.current.onRun();
                return true;
              },
            },
          ]),
        ),
        // Tab indents; Escape then Tab leaves the editor (CodeMirror's tab focus mode).
        keymap.of([indentWithTab]),
        EditorView.contentAttributes.of({ "aria-label": `Code editor: ${file.name}` }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) props.current.onChange(index, update.state.doc.toString());
        }),
      ],
    });

  // Which tab the view shows; the view's state is that tab's latest (states[] may lag behind it).
  const shown = useRef(0);
  const sync = () => {
    if (view.current) states.current[shown.current] = view.current.state;
  };
  const show = (index: number) => {
    const target = states.current[index] ?? states.current[0];
    shown.current = states.current.indexOf(target);
    if (view.current && view.current.state !== target) view.current.setState(target);
  };
  const reconfigureAll = (effect: StateEffect<unknown>) => {
    sync();
    states.current = states.current.map((state) => state.update({ effects: effect }).state);
    show(shown.current);
  };

  // The view, once.
  useEffect(() => {
    states.current = files.map((file, i) => makeState(file, i, theme));
    shown.current = Math.min(active, files.length - 1);
    view.current = new EditorView({ state: states.current[shown.current], parent: host.current! });
    return () => view.current?.destroy();
  }, []);

  // Files replaced from outside, or a tab added or removed: new states from the files' content.
  const firstRebuild = useRef(true);
  useEffect(() => {
    if (firstRebuild.current) {
      firstRebuild.current = false;
      return;
    }
    states.current = files.map((file, i) => makeState(file, i, theme));
    shown.current = -1;
    show(active);
  }, [epoch, files.length]);

  // Switching tabs: keep the old tab's state (its undo history), show the new one, focused (the
  // first render does not steal focus from the page).
  const firstActive = useRef(true);
  useEffect(() => {
    if (firstActive.current) {
      firstActive.current = false;
      return;
    }
    if (active === shown.current) return;
    sync();
    show(active);
    view.current?.focus();
  }, [active]);

  // Compiler messages: set on every tab's state (each for its own file), replacing the last run's
  // (the analysers' marks stay).
  useEffect(() => {
    if (!view.current) return;
    const marks = (state: EditorState, i: number) =>
      withCompilerDiagnostics(
        state,
        diagnostics.filter((d) => d.file === files[i]?.name).map((d) => toLint(state.doc, d)),
      );
    // The shown tab through the view (its scroll and focus stay), the others on their states.
    states.current = states.current.map((state, i) =>
      i === shown.current ? state : state.update(marks(state, i)).state,
    );
    view.current.dispatch(marks(view.current.state, shown.current));
    sync();
  }, [diagnostics, epoch]);

  useEffect(() => {
    if (!jump || !view.current) return;
    const doc = view.current.state.doc;
    const anchor = position(doc, jump.line, jump.column);
    view.current.dispatch({ selection: { anchor }, scrollIntoView: true });
    view.current.focus();
  }, [jump]);

  // Another version, or the tools (or the languages, whose default versions they name) arrived:
  // lint the open tab again.
  const analysersNow = analysers.value;
  const languagesNow = languages.value;
  const firstRelint = useRef(true);
  useEffect(() => {
    if (firstRelint.current) {
      firstRelint.current = false;
      return;
    }
    view.current?.dispatch({ effects: relint.of(null) });
  }, [version, analysersNow, languagesNow]);

  // Language: load its pack (lazily), then reconfigure every tab.
  useEffect(() => {
    void loadAnalysers();
    let cancelled = false;
    void languageExtension(language).then((ext) => {
      if (cancelled || !view.current) return;
      languageExt.current = ext;
      reconfigureAll(languageSlot.current.reconfigure(ext));
    });
    return () => {
      cancelled = true;
    };
  }, [language, epoch]);

  const firstTheme = useRef(true);
  useEffect(() => {
    if (firstTheme.current) {
      firstTheme.current = false;
      return;
    }
    reconfigureAll(themeSlot.current.reconfigure(themeExtension(theme)));
  }, [theme]);

  return <div class="editor" ref={host} data-language={language} />;
}
