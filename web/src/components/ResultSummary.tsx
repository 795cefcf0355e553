// An execution's verdict, time and memory (and its output files and judged test cases, when
// there are any).
import type { Execution } from "../api/client";
import { formatKb, formatMs, VERDICT_LABELS } from "../run/runner";

export function VerdictBadge({ verdict }: { verdict: string | null | undefined }) {
  if (!verdict) return <span class="verdict pending">pending</span>;
  const good = verdict === "ok" || verdict === "accepted";
  return <span class={good ? "verdict good" : "verdict bad"}>{VERDICT_LABELS[verdict] ?? verdict}</span>;
}

export function ResultSummary({ execution }: { execution: Execution }) {
  const phase = execution.run ?? execution.compile;
  return (
    <section class="result" aria-label="Result" data-testid="result">
      <dl>
        <div>
          <dt>Verdict</dt>
          <dd>
            <VerdictBadge verdict={execution.verdict} />
          </dd>
        </div>
        <div>
          <dt>Time</dt>
          <dd data-testid="time">{formatMs(phase?.wall_time_ms)}</dd>
        </div>
        <div>
          <dt>CPU</dt>
          <dd>{formatMs(phase?.cpu_time_ms)}</dd>
        </div>
        <div>
          <dt>Memory</dt>
          <dd data-testid="memory">{formatKb(phase?.memory_kb)}</dd>
        </div>
        {phase?.exit_code !== null && phase?.exit_code !== undefined && (
          <div>
            <dt>Exit code</dt>
            <dd>{phase.exit_code}</dd>
          </div>
        )}
      </dl>
      {execution.message && <p class="message">{execution.message}</p>}
      {(execution.files?.length ?? 0) > 0 && <OutputFiles execution={execution} />}
      {(execution.tests?.length ?? 0) > 0 && (
        <table>
          <caption>Test cases</caption>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Verdict</th>
              <th scope="col">Time</th>
            </tr>
          </thead>
          <tbody>
            {execution.tests?.map((t) => (
              <tr key={t.index}>
                <td>{t.name ?? t.index + 1}</td>
                <td>
                  <VerdictBadge verdict={t.verdict} />
                </td>
                <td>{formatMs(t.wall_time_ms)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function formatBytes(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : formatKb(Math.round(bytes / 1024));
}

// Files the program left at the requested output_files paths: downloaded from the API (an
// attachment, never rendered here), with the session's cookies as any GET of this origin.
function OutputFiles({ execution }: { execution: Execution }) {
  return (
    <table data-testid="output-files">
      <caption>Output files</caption>
      <thead>
        <tr>
          <th scope="col">File</th>
          <th scope="col">Size</th>
        </tr>
      </thead>
      <tbody>
        {execution.files?.map((f) => (
          <tr key={f.name}>
            <td>
              <a
                href={`/v1/executions/${execution.id}/files/${f.name.split("/").map(encodeURIComponent).join("/")}`}
                download={f.name.split("/").pop()}
              >
                {f.name}
              </a>
            </td>
            <td>{formatBytes(f.size)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
