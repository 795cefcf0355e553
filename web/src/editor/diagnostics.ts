// The compile phase's diagnostics (phases' `diagnostics` in the API) as CodeMirror lint marks.
import type { Diagnostic as LintDiagnostic } from "@codemirror/lint";
import type { Text } from "@codemirror/state";
import type { Schemas } from "../api/client";

export type CompilerDiagnostic = Schemas["DiagnosticOut"];

/** A 1-based line and column as a document position, clamped into the document. */
export function position(doc: Text, line: number, column: number | null | undefined): number {
  const at = doc.line(Math.min(Math.max(line, 1), doc.lines));
  return at.from + Math.min(Math.max((column ?? 1) - 1, 0), at.length);
}

export function toLint(doc: Text, d: CompilerDiagnostic): LintDiagnostic {
  // Without a column, the whole line; without an end, the character at the column.
  const at = doc.line(Math.min(Math.max(d.line, 1), doc.lines));
  const from = d.column ? position(doc, d.line, d.column) : at.from;
  let to = d.column ? Math.min(from + 1, at.to) : at.to;
  if (d.column && d.end_column) to = Math.max(from, position(doc, d.end_line ?? d.line, d.end_column) + 1);
  return {
    from,
    to: Math.min(to, doc.length),
    severity: d.severity === "note" ? "info" : d.severity,
    message: d.code ? `${d.message} [${d.code}]` : d.message,
    source: "compiler",
  };
}
