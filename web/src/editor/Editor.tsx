// CodeMirror 6: one view, one state per file tab (each keeps its own undo history).
import { oneDark } from "@codemirror/theme-one-dark";
import { defaultHighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { lintGutter, setDiagnostics } from "@codemirror/lint";
import { Compartment, EditorState, Prec, type Extension, type StateEffect } from "@codemirror/state";
import { keymap } from "@codemirror/view";
import { classHighlighter } from "@lezer/highlight";
import { basicSetup, EditorView } from "codemirror";
import { useEffect, useRef } from "preact/hooks";
import type { SourceFile, Theme } from "../state";
import { type CompilerDiagnostic, position, toLint } from "./diagnostics";
import { languageExtension } from "./languages";

interface Props {
  files: SourceFile[];
  active: number;
  language: string;
  theme: Theme;
  /** Changes when the files were replaced from outside (a snippet opened): states are rebuilt. */
  epoch: number;
  onChange: (index: number, content: string) => void;
  onRun: () => void;
  /** The last run's compiler messages: each tab marks those about its file. */
  diagnostics: CompilerDiagnostic[];
  /** A message to move the cursor to (its tab already chosen); a new object each time. */
  jump: CompilerDiagnostic | null;
}

// Colours per theme. classHighlighter (stable tok-* classes) runs beside it, which turns off
// basicSetup's fallback style: the light theme names its style explicitly.
const lightHighlighting = syntaxHighlighting(defaultHighlightStyle);
const themeExtension = (theme: Theme): Extension => (theme === "dark" ? oneDark : lightHighlighting);

export function Editor({ files, active, language, theme, epoch, onChange, onRun, diagnostics, jump }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const states = useRef<EditorState[]>([]);
  const languageExt = useRef<Extension>([]);
  const themeSlot = useRef(new Compartment());
  const languageSlot = useRef(new Compartment());
  const props = useRef({ onChange, onRun, active });
  props.current = { onChange, onRun, active };

  const makeState = (file: SourceFile, index: number, themeValue: Theme): EditorState =>
    EditorState.create({
      doc: file.content,
      extensions: [
        basicSetup,
        lintGutter(),
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

  // Compiler messages: set on every tab's state (each for its own file), replacing the last run's.
  useEffect(() => {
    if (!view.current) return;
    const marks = (state: EditorState, i: number) =>
      setDiagnostics(
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

  // Language: load its pack (lazily), then reconfigure every tab.
  useEffect(() => {
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
