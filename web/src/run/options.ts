// Run options the API takes beside the code (docs/api.md "Executions"): arguments, compiler flags,
// limits and judged test cases. Kept per browser like the workspace, so a set-up survives a reload.
import { signal, effect } from "@preact/signals";
import type { Schemas } from "../api/client";

export interface TestCase {
  stdin: string;
  expected: string;
}

export interface RunOptions {
  /** One argument per line: no shell splitting, so spaces and quotes pass as typed. */
  args: string;
  /** Compiler flags separated by spaces, each checked by the server against the language's patterns. */
  flags: string;
  cpuMs: string;
  wallMs: string;
  memoryMb: string;
  cases: TestCase[];
  compare: "exact" | "whitespace";
}

const KEY = "crh.run-options.v1";
const EMPTY: RunOptions = { args: "", flags: "", cpuMs: "", wallMs: "", memoryMb: "", cases: [], compare: "exact" };

function load(): RunOptions {
  try {
    const saved = JSON.parse(localStorage.getItem(KEY) ?? "null") as Partial<RunOptions> | null;
    return saved ? { ...EMPTY, ...saved, cases: Array.isArray(saved.cases) ? saved.cases : [] } : EMPTY;
  } catch {
    return EMPTY;
  }
}

export const runOptions = signal<RunOptions>(load());
effect(() => localStorage.setItem(KEY, JSON.stringify(runOptions.value)));

export function updateOptions(change: Partial<RunOptions>): void {
  runOptions.value = { ...runOptions.value, ...change };
}

export function resetOptions(): void {
  runOptions.value = EMPTY;
}

export function argList(options: RunOptions): string[] {
  return options.args === "" ? [] : options.args.replace(/\n$/, "").split("\n");
}

export function flagList(options: RunOptions): string[] {
  return options.flags.split(/\s+/).filter(Boolean);
}

function positive(value: string): number | null {
  const n = Number(value.trim());
  return value.trim() !== "" && Number.isInteger(n) && n > 0 ? n : null;
}

/** How many options differ from the defaults (shown on the panel's summary). */
export function activeCount(options: RunOptions): number {
  return [
    argList(options).length > 0,
    flagList(options).length > 0,
    positive(options.cpuMs) !== null,
    positive(options.wallMs) !== null,
    positive(options.memoryMb) !== null,
    options.cases.length > 0,
  ].filter(Boolean).length;
}

type Submission = Schemas["ExecutionCreate"];

/** The submission with the options applied; the server validates them (a 4xx names a bad one). */
export function withOptions(submission: Submission, options: RunOptions, compiled: boolean): Submission {
  const limits = {
    cpu_time_ms: positive(options.cpuMs),
    wall_time_ms: positive(options.wallMs),
    memory_mb: positive(options.memoryMb),
  };
  const anyLimit = Object.values(limits).some((v) => v !== null);
  return {
    ...submission,
    args: argList(options),
    compile_options: compiled ? flagList(options) : [],
    limits: anyLimit ? limits : null,
    test_cases:
      options.cases.length > 0 ? options.cases.map((c) => ({ stdin: c.stdin, expected_stdout: c.expected })) : null,
    compare: options.compare,
  };
}
