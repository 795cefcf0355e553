// An execution's verdict, time and memory (and judged test cases, when there are any).
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
