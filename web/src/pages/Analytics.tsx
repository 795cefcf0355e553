// Charts: most-used languages, verdicts and run-time percentiles by language as HTML bars
// (AnalyticsBars), runs over time and the code metrics of saved snippets over time with uPlot.
import { useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import uPlot, { type AlignedData, type Options } from "uplot";
import "uplot/dist/uPlot.min.css";
import { currentUser } from "../api/auth";
import { api, describe, unwrap, type Schemas } from "../api/client";
import { formatKb, formatMs, VERDICT_LABELS } from "../run/runner";
import { theme } from "../state";
import { COLORS, CountBars, TimeBars } from "./AnalyticsBars";

interface Data {
  languages: Schemas["LanguageUsage"];
  timeline: Schemas["Timeline"];
  verdicts: Schemas["VerdictDistribution"];
  stats: Schemas["RunStats"];
  code: Schemas["CodeMetricsTimeline"];
}

const round = (value: number | null): number | null => (value === null ? null : Math.round(value));

function axisColors(): { stroke: string; grid: string } {
  return theme.value === "dark" ? { stroke: "#d4d4d8", grid: "#3f3f46" } : { stroke: "#27272a", grid: "#e4e4e7" };
}

function Chart({ title, options, data }: { title: string; options: Omit<Options, "width" | "height">; data: AlignedData }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = host.current!;
    const width = () => Math.max(280, element.clientWidth);
    const plot = new uPlot({ ...options, width: width(), height: 240 } as Options, data, element);
    const observer = new ResizeObserver(() => plot.setSize({ width: width(), height: 240 }));
    observer.observe(element);
    return () => {
      observer.disconnect();
      plot.destroy();
    };
  }, [data, options]);
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <div ref={host} role="img" aria-label={title} />
    </figure>
  );
}

/** A count axis: whole-number steps only (uPlot would otherwise split a range of 0..2 at 0.5). The
 * labels drawn are also left in the plot's data-y-ticks, since a canvas has no text to read. */
function countAxis(stroke: string, grid: string): uPlot.Axis {
  return {
    stroke,
    grid: { stroke: grid },
    incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 1_000_000],
    values: (u, splits) => {
      const labels = splits.map((v) => String(v));
      u.root.dataset.yTicks = labels.join(" ");
      return labels;
    },
  };
}

/** The last bucket that has saved snippets (-1: none in the window). */
function lastWithData(snippets: (number | null)[]): number {
  for (let i = snippets.length - 1; i >= 0; i--) if ((snippets[i] ?? 0) > 0) return i;
  return -1;
}

/** Mean and highest cyclomatic complexity (left axis) and lines (right axis) of the snippets saved per
 * bucket. With no bucket pointed at, the legend shows the latest bucket that has data (uPlot's own
 * would read "–" for every series), and a pointed-at empty bucket reads "none". */
function codeMetricsOptions(latest: number, bucket: "hour" | "day"): Omit<Options, "width" | "height"> {
  const { stroke, grid } = axisColors();
  const upTo =
    (least: number) =>
    (_u: uPlot, _min: number, max: number): [number, number] => [0, Math.max(least, (max ?? 0) * 1.15)];
  const at = (idx: number | null) => idx ?? (latest >= 0 ? latest : null);
  const line = (label: string, scale: string, color: string) => ({
    label,
    scale,
    stroke: color,
    width: 2,
    // Empty buckets are gaps; a lone saved day still shows as a point.
    points: { show: true, size: 6 },
    value: (u: uPlot, _v: number | null, sidx: number, idx: number | null) => {
      const i = at(idx);
      const v = i === null ? null : u.data[sidx][i];
      return v === null || v === undefined ? "none" : String(v);
    },
  });
  const when = (u: uPlot, _v: number | null, _s: number, idx: number | null) => {
    const i = at(idx);
    if (i === null) return "none saved";
    const start = new Date(u.data[0][i] * 1000);
    return bucket === "hour" ? start.toLocaleString() : start.toLocaleDateString();
  };
  return {
    scales: { ccn: { range: upTo(4) }, lines: { range: upTo(10) } },
    axes: [
      { stroke, grid: { stroke: grid } },
      { scale: "ccn", stroke, grid: { stroke: grid }, label: "Complexity" },
      { scale: "lines", side: 1, stroke, grid: { show: false }, label: "Lines" },
    ],
    series: [
      { label: bucket === "hour" ? "Hour" : "Day", value: when },
      line("Mean complexity", "ccn", COLORS[0]),
      line("Max complexity", "ccn", COLORS[1]),
      { ...line("Lines", "lines", COLORS[2]), fill: COLORS[2] + "22" },
      // Not drawn (a count beside lines and complexities); the legend shows it for the bucket pointed at.
      { ...line("Snippets", "lines", COLORS[3]), show: false, class: "legend-only" },
    ],
    legend: { show: true },
  };
}

/** The table's rows: every language run in the window with its count of runs (the languages chart's
 * count: executions), and the run-phase statistics of those that were timed. The table once counted
 * only the timed runs as "Runs", so a C++ program that did not compile made it 1 beside a chart of 2. */
function byLanguage(d: Data) {
  const stats = new Map(d.stats.items.map((i) => [i.language, i]));
  return d.languages.items.map((i) => ({ language: i.language, count: i.count, stats: stats.get(i.language) }));
}

export function Analytics() {
  const scope = useSignal<"mine" | "global">("mine");
  const days = useSignal(30);
  const bucket = useSignal<"hour" | "day">("day");
  const data = useSignal<Data | null>(null);
  const error = useSignal("");
  const user = currentUser.value;

  useEffect(() => {
    if (!user) return;
    const since = new Date(Date.now() - days.value * 86_400_000).toISOString();
    const query = { scope: scope.value, since };
    error.value = "";
    void Promise.all([
      unwrap(api.GET("/v1/analytics/languages", { params: { query } })),
      unwrap(api.GET("/v1/analytics/timeline", { params: { query: { ...query, bucket: bucket.value } } })),
      unwrap(api.GET("/v1/analytics/verdicts", { params: { query } })),
      unwrap(api.GET("/v1/analytics/run-stats", { params: { query } })),
      unwrap(api.GET("/v1/analytics/code-metrics", { params: { query: { ...query, bucket: bucket.value } } })),
    ])
      .then(
        ([languages, timeline, verdicts, stats, code]) =>
          (data.value = { languages, timeline, verdicts, stats, code }),
      )
      .catch((err: unknown) => (error.value = describe(err)));
  }, [user?.id, scope.value, days.value, bucket.value]);

  if (!user) return <p>Sign in to see analytics of your runs.</p>;
  const d = data.value;
  const { stroke, grid } = axisColors();

  return (
    <section aria-labelledby="analytics-title" class="analytics">
      <h1 id="analytics-title">Analytics</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        {user.role === "admin" && (
          <label>
            Scope
            <select
              name="scope"
              value={scope.value}
              onChange={(e) => (scope.value = e.currentTarget.value as "mine" | "global")}
            >
              <option value="mine">My runs</option>
              <option value="global">Everyone's</option>
            </select>
          </label>
        )}
        <label>
          Range
          <select name="days" value={days.value} onChange={(e) => (days.value = Number(e.currentTarget.value))}>
            <option value={1}>Last 24 hours</option>
            <option value={7}>Last 7 days</option>
            <option value={30}>Last 30 days</option>
            <option value={90}>Last 90 days</option>
          </select>
        </label>
        <label>
          Runs per
          <select
            name="bucket"
            value={bucket.value}
            onChange={(e) => (bucket.value = e.currentTarget.value as "hour" | "day")}
          >
            <option value="hour">Hour</option>
            <option value="day">Day</option>
          </select>
        </label>
      </form>
      {error.value && (
        <p class="error" role="alert">
          {error.value}
        </p>
      )}
      {d && (
        <>
          <p>
            {d.languages.total} runs; {d.verdicts.finished} finished.
          </p>
          <div class="charts">
            <CountBars
              title="Most-used languages"
              items={d.languages.items.map((i) => ({ label: i.language, count: i.count }))}
            />
            <Chart
              title={`Runs per ${bucket.value}`}
              options={{
                scales: { y: { range: (_u, _min, max) => [0, Math.max(2, Math.ceil((max ?? 0) * 1.15))] } },
                axes: [{ stroke, grid: { stroke: grid } }, countAxis(stroke, grid)],
                series: [{}, { label: "Runs", stroke: COLORS[0], fill: COLORS[0] + "33", width: 2 }],
                legend: { show: false },
              }}
              data={[
                d.timeline.items.map((p) => Date.parse(p.start) / 1000),
                d.timeline.items.map((p) => p.count),
              ]}
            />
            <CountBars
              title="Verdicts"
              items={d.verdicts.items.map((i) => ({ label: VERDICT_LABELS[i.verdict] ?? i.verdict, count: i.count }))}
            />
            <TimeBars
              title="Run time by language: p50 and p95"
              rows={d.stats.items.map((i) => ({ label: i.language, p50: i.wall_time_ms.p50, p95: i.wall_time_ms.p95 }))}
            />
            <Chart
              title="Code metrics over time"
              options={codeMetricsOptions(
                lastWithData(d.code.items.map((p) => p.snippets)),
                d.code.bucket === "hour" ? "hour" : "day",
              )}
              data={[
                d.code.items.map((p) => Date.parse(p.start) / 1000),
                d.code.items.map((p) => p.ccn_avg),
                d.code.items.map((p) => p.ccn_max),
                d.code.items.map((p) => (p.snippets ? p.lines : null)),
                d.code.items.map((p) => p.snippets),
              ]}
            />
          </div>
          <div class="table-scroll">
            <table class="stats">
              <caption>Run time and memory by language</caption>
              <thead>
                <tr>
                  <th scope="col">Language</th>
                  <th scope="col">Runs</th>
                  <th scope="col">Timed</th>
                  <th scope="col">p50 time</th>
                  <th scope="col">p95 time</th>
                  <th scope="col">p50 memory</th>
                  <th scope="col">p95 memory</th>
                </tr>
              </thead>
              <tbody>
                {byLanguage(d).map(({ language, count, stats }) => (
                  <tr key={language}>
                    <td>{language}</td>
                    <td>{count}</td>
                    <td>{stats?.runs ?? 0}</td>
                    <td>{formatMs(stats?.wall_time_ms.p50)}</td>
                    <td>{formatMs(stats?.wall_time_ms.p95)}</td>
                    <td>{formatKb(round(stats?.memory_kb.p50 ?? null))}</td>
                    <td>{formatKb(round(stats?.memory_kb.p95 ?? null))}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <p class="hint">
            Runs counts every run, as the charts do; the times and memory are of the timed ones, those that
            reached their run phase (a program that did not compile has none).
          </p>
        </>
      )}
    </section>
  );
}
