// The editor of a live session: one view showing one shared file (a Y.Text), bound with
// y-codemirror.next. Each tab switch builds a fresh state from the Y.Text (a hidden tab's state
// would miss the edits made meanwhile); the undo history is a Y.UndoManager per file (only this
// client's edits are undone), in place of CodeMirror's history. Role changes and the session's
// end reconfigure compartments.
import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap } from "@codemirror/autocomplete";
import { defaultKeymap, indentWithTab } from "@codemirror/commands";
import {
  bracketMatching,
  defaultHighlightStyle,
  foldGutter,
  foldKeymap,
  indentOnInput,
  syntaxHighlighting,
} from "@codemirror/language";
import { lintKeymap } from "@codemirror/lint";
import { highlightSelectionMatches, searchKeymap } from "@codemirror/search";
import { Compartment, EditorState, type Extension } from "@codemirror/state";
import {
  crosshairCursor,
  drawSelection,
  dropCursor,
  EditorView,
  highlightActiveLine,
  highlightActiveLineGutter,
  highlightSpecialChars,
  keymap,
  lineNumbers,
  rectangularSelection,
} from "@codemirror/view";
import { classHighlighter } from "@lezer/highlight";
import { useEffect, useRef } from "preact/hooks";
import { yCollab, yUndoManagerKeymap } from "y-codemirror.next";
import type * as Y from "yjs";
import { themeExtension } from "../editor/Editor";
import { languageExtension } from "../editor/languages";
import type { Theme } from "../state";
import type { CollabSession } from "./session";

interface Props {
  session: CollabSession;
  /** The shared file shown, and its name. */
  text: Y.Text;
  name: string;
  language: string;
  theme: Theme;
  /** False for viewers and once the session is over. */
  editable: boolean;
  /** False once the session ended or refused us: the text stays, syncing and cursors go. */
  live: boolean;
  /** Ctrl/Cmd+Enter: run the code for everyone (editors). */
  onRun?: () => void;
}

// codemirror's basicSetup without history(): the Y.UndoManager keymap takes Mod-z / Mod-y.
const collabSetup: Extension = [
  lineNumbers(),
  highlightActiveLineGutter(),
  highlightSpecialChars(),
  foldGutter(),
  drawSelection(),
  dropCursor(),
  EditorState.allowMultipleSelections.of(true),
  indentOnInput(),
  syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
  bracketMatching(),
  closeBrackets(),
  autocompletion(),
  rectangularSelection(),
  crosshairCursor(),
  highlightActiveLine(),
  highlightSelectionMatches(),
  keymap.of([
    ...yUndoManagerKeymap,
    ...closeBracketsKeymap,
    ...defaultKeymap,
    ...searchKeymap,
    ...foldKeymap,
    ...completionKeymap,
    ...lintKeymap,
    // Tab indents; Escape then Tab leaves the editor (CodeMirror's tab focus mode).
    indentWithTab,
  ]),
  syntaxHighlighting(classHighlighter),
];

// Others' cursors carry their name at all times (y-codemirror.next shows it on hover only); the
// first line leaves room for a label above it.
const cursorLabels = EditorView.theme({
  ".cm-content": { paddingTop: "1.2em" },
  ".cm-ySelectionInfo": {
    opacity: 1,
    top: "-1.25em",
    fontFamily: "system-ui, sans-serif",
    fontSize: "0.72em",
    fontWeight: "600",
    padding: "0 4px",
    borderRadius: "3px 3px 3px 0",
  },
});

const access = (editable: boolean): Extension =>
  editable ? [] : [EditorState.readOnly.of(true), EditorView.editable.of(false)];

export function CollabEditor({ session, text, name, language, theme, editable, live, onRun }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const slots = useRef({
    theme: new Compartment(),
    language: new Compartment(),
    access: new Compartment(),
    collab: new Compartment(),
  }).current;
  const languageExt = useRef<Extension>([]);
  const current = useRef({ theme, editable, live, name, onRun });
  current.current = { theme, editable, live, name, onRun };
  const runKeymap = useRef(
    keymap.of([
      {
        key: "Mod-Enter",
        run: () => {
          current.current.onRun?.();
          return !!current.current.onRun;
        },
      },
    ]),
  ).current;

  const binding = (file: Y.Text, isLive: boolean): Extension =>
    isLive ? yCollab(file, session.provider.awareness, { undoManager: session.undoManagerFor(file) }) : [];

  const makeState = (file: Y.Text): EditorState =>
    EditorState.create({
      doc: file.toString(),
      extensions: [
        runKeymap,
        collabSetup,
        cursorLabels,
        slots.language.of(languageExt.current),
        slots.theme.of(themeExtension(current.current.theme)),
        slots.access.of(access(current.current.editable)),
        slots.collab.of(binding(file, current.current.live)),
        EditorView.contentAttributes.of({ "aria-label": `Code editor: ${current.current.name} (shared)` }),
      ],
    });

  useEffect(() => {
    view.current = new EditorView({ state: makeState(text), parent: host.current! });
    return () => {
      view.current?.destroy();
      view.current = null;
    };
  }, []);

  // Another file: a fresh state from its Y.Text (the first render built it already).
  const shown = useRef(text);
  useEffect(() => {
    if (!view.current || shown.current === text) return;
    shown.current = text;
    view.current.setState(makeState(text));
  }, [text]);

  useEffect(() => {
    view.current?.dispatch({ effects: slots.access.reconfigure(access(editable)) });
  }, [editable]);

  useEffect(() => {
    if (!live) view.current?.dispatch({ effects: slots.collab.reconfigure([]) });
  }, [live]);

  useEffect(() => {
    view.current?.dispatch({ effects: slots.theme.reconfigure(themeExtension(theme)) });
  }, [theme]);

  useEffect(() => {
    let cancelled = false;
    void languageExtension(language).then((ext) => {
      if (cancelled || !view.current) return;
      languageExt.current = ext;
      view.current.dispatch({ effects: slots.language.reconfigure(ext) });
    });
    return () => {
      cancelled = true;
    };
  }, [language]);

  return <div class="editor collab-editor" ref={host} data-language={language} data-file={name} />;
}
