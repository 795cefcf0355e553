// Category charts of the Analytics page as horizontal bars in HTML: a label per row on the page, so
// long names (verdicts) wrap instead of running into each other as canvas text under narrow bars
// did, every value is written beside its bar (no hover legend to read), and screen readers get a list.
import { formatMs } from "../run/runner";

export const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#d97706"];

const percent = (part: number, whole: number) => `${whole > 0 ? Math.max(0, Math.min(1, part / whole)) * 100 : 0}%`;

/** Counts per category (runs per language, per verdict), the longest bar the largest count. */
export function CountBars({ title, items }: { title: string; items: { label: string; count: number }[] }) {
  const most = Math.max(1, ...items.map((i) => i.count));
  return (
    <figure class="chart bars-chart">
      <figcaption>{title}</figcaption>
      {items.length === 0 ? (
        <p class="hint">No runs in this range.</p>
      ) : (
        <ol class="bars">
          {items.map((item) => (
            <li key={item.label}>
              <span class="bar-label">{item.label}</span>
              <span class="bar-track" aria-hidden="true">
                <span class="bar" style={{ width: percent(item.count, most), background: COLORS[0] }} />
              </span>
              <span class="bar-value">{item.count}</span>
            </li>
          ))}
        </ol>
      )}
    </figure>
  );
}

export interface TimeRow {
  label: string;
  p50: number | null;
  p95: number | null;
}

// Run times span from a millisecond to seconds: on a linear axis one slow program flattens every
// other bar, so lengths are logarithmic, in decades from a tenth of a millisecond (0 ms is no bar;
// 1 ms is a quarter of 1 s's, 10 ms half).
const logLength = (ms: number) => Math.log10(1 + 10 * Math.max(0, ms));

/** p50 and p95 run time per language, both as bars on one log scale, each with its value. */
export function TimeBars({ title, rows }: { title: string; rows: TimeRow[] }) {
  const longest = Math.max(logLength(1000), ...rows.flatMap((r) => [r.p50 ?? 0, r.p95 ?? 0]).map(logLength));
  const series = [
    { key: "p50", name: "p50 (median)", color: COLORS[0] },
    { key: "p95", name: "p95", color: COLORS[1] },
  ] as const;
  return (
    <figure class="chart bars-chart">
      <figcaption>{title}</figcaption>
      <ul class="chart-legend" aria-label="Series">
        {series.map((s) => (
          <li key={s.key}>
            <span class="swatch" style={{ background: s.color }} aria-hidden="true" />
            {s.name}
          </li>
        ))}
        <li class="hint">log scale</li>
      </ul>
      {rows.length === 0 ? (
        <p class="hint">No timed runs in this range.</p>
      ) : (
        <ol class="bars">
          {rows.map((row) => (
            <li key={row.label} class="pair">
              <span class="bar-label">{row.label}</span>
              {series.map((s) => (
                <span class="bar-row" key={s.key}>
                  <span class="bar-track" aria-hidden="true">
                    <span
                      class="bar"
                      style={{ width: percent(logLength(row[s.key] ?? 0), longest), background: s.color }}
                    />
                  </span>
                  <span class="bar-value">
                    <span class="sr-only">{s.key} </span>
                    {formatMs(row[s.key])}
                  </span>
                </span>
              ))}
            </li>
          ))}
        </ol>
      )}
    </figure>
  );
}
