// Charts (uPlot): most-used languages, runs over time, verdicts, run-time percentiles by language,
// and the code metrics of saved snippets over time.
import { useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import uPlot, { type AlignedData, type Options } from "uplot";
import "uplot/dist/uPlot.min.css";
import { currentUser } from "../api/auth";
import { api, describe, unwrap, type Schemas } from "../api/client";
import { formatKb, formatMs, VERDICT_LABELS } from "../run/runner";
import { theme } from "../state";

interface Data {
  languages: Schemas["LanguageUsage"];
  timeline: Schemas["Timeline"];
  verdicts: Schemas["VerdictDistribution"];
  stats: Schemas["RunStats"];
  code: Schemas["CodeMetricsTimeline"];
}

const round = (value: number | null): number | null => (value === null ? null : Math.round(value));

const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#d97706"];

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

/** Mean and highest cyclomatic complexity (left axis) and lines (right axis) of the snippets saved per bucket. */
function codeMetricsOptions(): Omit<Options, "width" | "height"> {
  const { stroke, grid } = axisColors();
  const upTo =
    (least: number) =>
    (_u: uPlot, _min: number, max: number): [number, number] => [0, Math.max(least, (max ?? 0) * 1.15)];
  const line = (label: string, scale: string, color: string) => ({
    label,
    scale,
    stroke: color,
    width: 2,
    // Empty buckets are gaps; a lone saved day still shows as a point.
    points: { show: true, size: 6 },
    value: (_u: uPlot, v: number | null) => (v === null ? "–" : String(v)),
  });
  return {
    scales: { ccn: { range: upTo(4) }, lines: { range: upTo(10) } },
    axes: [
      { stroke, grid: { stroke: grid } },
      { scale: "ccn", stroke, grid: { stroke: grid }, label: "Complexity" },
      { scale: "lines", side: 1, stroke, grid: { show: false }, label: "Lines" },
    ],
    series: [
      {},
      line("Mean complexity", "ccn", COLORS[0]),
      line("Max complexity", "ccn", COLORS[1]),
      { ...line("Lines", "lines", COLORS[2]), fill: COLORS[2] + "22" },
      // Not drawn (a count beside lines and complexities); the legend shows it for the bucket pointed at.
      { ...line("Snippets", "lines", COLORS[3]), show: false },
    ],
    legend: { show: true },
  };
}

/** Bars over categories: x is 0..n-1, labelled by the category names. */
function barOptions(labels: string[], series: { label: string; unit?: string }[]): Omit<Options, "width" | "height"> {
  const { stroke, grid } = axisColors();
  // Side by side when there are two series (p50 left of the tick, p95 right of it).
  const aligns: (-1 | 0 | 1)[] = series.length === 2 ? [-1, 1] : [0];
  const bars = aligns.map((align) => uPlot.paths.bars!({ size: [series.length === 2 ? 0.35 : 0.6, 60], align }));
  return {
    scales: {
      x: { time: false, range: [-0.5, labels.length - 0.5] },
      y: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.1] },
    },
    axes: [
      {
        stroke,
        grid: { show: false },
        splits: () => labels.map((_, i) => i),
        values: (_u, splits) => splits.map((i) => labels[i] ?? ""),
      },
      { stroke, grid: { stroke: grid } },
    ],
    series: [
      { label: "", value: (_u: uPlot, v: number | null) => (v === null ? "" : (labels[v] ?? "")) },
      ...series.map((s, i) => ({
        label: s.label,
        fill: COLORS[i % COLORS.length] + "cc",
        stroke: COLORS[i % COLORS.length],
        paths: bars[i % bars.length],
        points: { show: false },
        value: (_u: uPlot, v: number | null) => (v === null ? "–" : `${v}${s.unit ?? ""}`),
      })),
    ],
    legend: { show: series.length > 1 },
  };
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
            <Chart
              title="Most-used languages"
              options={barOptions(
                d.languages.items.map((i) => i.language),
                [{ label: "Runs" }],
              )}
              data={[d.languages.items.map((_, i) => i), d.languages.items.map((i) => i.count)]}
            />
            <Chart
              title={`Runs per ${bucket.value}`}
              options={{
                axes: [{ stroke, grid: { stroke: grid } }, { stroke, grid: { stroke: grid } }],
                series: [{}, { label: "Runs", stroke: COLORS[0], fill: COLORS[0] + "33", width: 2 }],
                legend: { show: false },
              }}
              data={[
                d.timeline.items.map((p) => Date.parse(p.start) / 1000),
                d.timeline.items.map((p) => p.count),
              ]}
            />
            <Chart
              title="Verdicts"
              options={barOptions(
                d.verdicts.items.map((i) => VERDICT_LABELS[i.verdict] ?? i.verdict),
                [{ label: "Runs" }],
              )}
              data={[d.verdicts.items.map((_, i) => i), d.verdicts.items.map((i) => i.count)]}
            />
            <Chart
              title="Run time by language (ms): p50 and p95"
              options={barOptions(
                d.stats.items.map((i) => i.language),
                [
                  { label: "p50", unit: " ms" },
                  { label: "p95", unit: " ms" },
                ],
              )}
              data={[
                d.stats.items.map((_, i) => i),
                d.stats.items.map((i) => (i.wall_time_ms.p50 === null ? null : Math.round(i.wall_time_ms.p50 * 10) / 10)),
                d.stats.items.map((i) => (i.wall_time_ms.p95 === null ? null : Math.round(i.wall_time_ms.p95 * 10) / 10)),
              ]}
            />
            <Chart
              title="Code metrics over time"
              options={codeMetricsOptions()}
              data={[
                d.code.items.map((p) => Date.parse(p.start) / 1000),
                d.code.items.map((p) => p.ccn_avg),
                d.code.items.map((p) => p.ccn_max),
                d.code.items.map((p) => (p.snippets ? p.lines : null)),
                d.code.items.map((p) => p.snippets),
              ]}
            />
          </div>
          <table class="stats">
            <caption>Run time and memory by language</caption>
            <thead>
              <tr>
                <th scope="col">Language</th>
                <th scope="col">Runs</th>
                <th scope="col">p50 time</th>
                <th scope="col">p95 time</th>
                <th scope="col">p50 memory</th>
                <th scope="col">p95 memory</th>
              </tr>
            </thead>
            <tbody>
              {d.stats.items.map((i) => (
                <tr key={i.language}>
                  <td>{i.language}</td>
                  <td>{i.runs}</td>
                  <td>{formatMs(i.wall_time_ms.p50)}</td>
                  <td>{formatMs(i.wall_time_ms.p95)}</td>
                  <td>{formatKb(round(i.memory_kb.p50))}</td>
                  <td>{formatKb(round(i.memory_kb.p95))}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
