// The compiler's messages under the result: each names its place, and a click puts the cursor there.
import type { CompilerDiagnostic } from "../editor/diagnostics";

interface Props {
  diagnostics: CompilerDiagnostic[];
  onSelect: (diagnostic: CompilerDiagnostic) => void;
}

export function CompilerMessages({ diagnostics, onSelect }: Props) {
  if (diagnostics.length === 0) return null;
  return (
    <section class="diagnostics" aria-label="Compiler messages" data-testid="diagnostics">
      <h2>Compiler messages</h2>
      <ul>
        {diagnostics.map((d, i) => (
          <li key={i} class={d.severity}>
            <button type="button" class="link" onClick={() => onSelect(d)}>
              {d.file}:{d.line}
              {d.column ? `:${d.column}` : ""}
            </button>{" "}
            <span class="severity">{d.severity}:</span> {d.message}
            {d.code ? ` [${d.code}]` : ""}
          </li>
        ))}
      </ul>
    </section>
  );
}
