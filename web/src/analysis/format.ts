// Format (Shift-Alt-F and a button): POST /v1/analyses with `format`, then the smallest changes
// from the document to the formatter's text (diff() from @codemirror/merge, loaded on first use),
// dispatched as one transaction: cursors, other people's included, map through them, and one
// undo step takes the whole format back.
import { forEachDiagnostic } from "@codemirror/lint";
import { isolateHistory } from "@codemirror/commands";
import type { EditorView } from "@codemirror/view";
import { AnalysisClient } from "./client";

export interface FormatContext {
  language: string;
  version: string | null;
  fileName: string;
}

export type FormatOutcome =
  | { kind: "formatted"; message: string }
  | { kind: "unchanged"; message: string }
  | { kind: "failed"; message: string }
  /** A newer format (or the editor going away) replaced it. */
  | { kind: "aborted"; message: string };

const failed = (message: string): FormatOutcome => ({ kind: "failed", message });

function hasErrors(view: EditorView): boolean {
  let errors = false;
  forEachDiagnostic(view.state, (d) => {
    if (d.severity === "error" && d.source !== "compiler") errors = true;
  });
  return errors;
}

/** Formats the view's document; the client (one per editor) lets a newer format abort this one. */
export async function formatView(view: EditorView, context: FormatContext, client: AnalysisClient): Promise<FormatOutcome> {
  const doc = view.state.doc;
  const content = doc.toString();
  const outcome = await client.analyse({
    language: context.language,
    version: context.version || null,
    files: [{ name: context.fileName, content }],
    checks: ["format"],
  });
  if (outcome.kind === "aborted") return { kind: "aborted", message: "" };
  if (outcome.kind === "busy") return failed(`Not formatted: ${outcome.message}`);
  if (outcome.kind === "pending") return failed("Not formatted: the formatter is taking too long; try again");
  if (outcome.kind === "failed") return failed(`Not formatted: ${outcome.message}`);
  const result = outcome.result;
  if (result.status === "unsupported") return failed("This language has no formatter");
  if (result.status !== "ok") return failed(`Not formatted: ${result.detail || `the formatter's ${result.status}`}`);
  const file = result.formatted?.find((f) => f.name === context.fileName);
  if (!file) return failed(`Not formatted: the formatter does not read ${context.fileName}`);
  if (!file.changed || file.content === content) {
    // Formatters leave code they cannot parse as it is.
    return hasErrors(view)
      ? { kind: "unchanged", message: "No formatting changes (code that does not parse is left as it is)" }
      : { kind: "unchanged", message: "Already formatted" };
  }
  const { diff } = await import("@codemirror/merge");
  if (!view.dom.isConnected) return { kind: "aborted", message: "" };
  if (view.state.doc !== doc && view.state.doc.toString() !== content)
    return failed("Not formatted: the code changed meanwhile; try again");
  const changes = diff(content, file.content, { scanLimit: 20_000, timeout: 500 }).map((c) => ({
    from: c.fromA,
    to: c.toA,
    insert: file.content.slice(c.fromB, c.toB),
  }));
  view.dispatch({ changes, userEvent: "format", annotations: isolateHistory.of("full") });
  return { kind: "formatted", message: "Formatted" };
}
