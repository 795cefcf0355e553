// The analyses API as editors use it (docs/api.md "Analyses"): which languages have which checks
// (GET /v1/analyses/tools, so a language the server gains lights up without a change here), and
// POST /v1/analyses with what an editor needs around it: results kept in a small LRU by the files'
// hash, the previous request aborted when a newer one starts (latest wins), no more than two
// requests a second, 202 answers polled briefly, and 429/503 answered by backing off quietly.
import { signal } from "@preact/signals";
import { csrfToken, type Schemas } from "../api/client";
import { languages } from "../state";

export type Analyser = Schemas["AnalyserOut"];
export type AnalysisResult = Schemas["AnalysisResult"];
export type AnalysisDiagnostic = Schemas["AnalysisDiagnostic"];
export type QuickFix = Schemas["QuickFix"];
export type TextEdit = Schemas["TextEdit"];
/** `lint`, `format`, and whatever else the server lists (kept open: new checks need no change here). */
export type Check = string;

export interface AnalysisFile {
  name: string;
  content: string;
}

export interface AnalysisRequest {
  language: string;
  /** A version prefix, or null for the language's default. */
  version: string | null;
  files: AnalysisFile[];
  checks: Check[];
}

export type Outcome =
  | { kind: "result"; result: AnalysisResult }
  /** 429 or 503: try again after this long (nothing to show the person while linting). */
  | { kind: "busy"; retryAfterMs: number; message: string }
  /** Still running when we stopped polling. */
  | { kind: "pending" }
  | { kind: "failed"; message: string }
  /** A newer request replaced it. */
  | { kind: "aborted" };

// ---- The tools: per language (and version, where its compiler is its own), the checks offered. ----

/** `language` or `language\0variant` -> the checks offered there (only analysers whose tools an
 * executor reported: the others would answer 503); empty until the list arrived. */
export const analysers = signal<ReadonlyMap<string, ReadonlySet<Check>>>(new Map());

let loaded: Promise<void> | null = null;
let loadedAt = 0;
let incomplete = false;
const RELOAD_INCOMPLETE_MS = 60_000;

const entryKey = (language: string, variant?: string | null) => (variant ? `${language}\0${variant}` : language);

/** Fetches the tools list once (again after a minute when some analyser was not available yet). */
export function loadAnalysers(): Promise<void> {
  if (loaded && !(incomplete && Date.now() - loadedAt > RELOAD_INCOMPLETE_MS)) return loaded;
  loadedAt = Date.now();
  loaded = fetch("/v1/analyses/tools", { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(async (response) => {
      if (!response.ok) throw new Error(response.statusText);
      const list = (await response.json()) as Analyser[];
      incomplete = list.some((a) => !a.available);
      analysers.value = new Map(
        list.filter((a) => a.available).map((a) => [entryKey(a.language, a.version), new Set(a.checks)]),
      );
    })
    .catch(() => {
      incomplete = true;
    });
  return loaded;
}

/** The version an analysis of `language` runs with: the one chosen, or else the default. */
function variantOf(language: string, version: string | null | undefined): string | null {
  if (version) return version;
  return languages.value.find((l) => l.id === language)?.versions.find((v) => v.default)?.variant ?? null;
}

/** Whether `language` (at `version`, "" or null for its default) offers `check`. Reads the signal:
 * components re-render when the list arrives. */
export function offers(language: string, check: Check, version?: string | null): boolean {
  const table = analysers.value;
  const variant = variantOf(language, version);
  let checks = variant ? table.get(entryKey(language, variant)) : undefined;
  if (!checks && variant) {
    // A version prefix (`3.11`), as the API takes one.
    for (const [key, found] of table) if (key.startsWith(`${language}\0${variant}`)) checks = found;
  }
  return (checks ?? table.get(language))?.has(check) ?? false;
}

// ---- One request. ----

const POLL_FOR_MS = 6_000;

function sleep(ms: number, abort: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (abort.aborted) return reject(abort.reason);
    const timer = setTimeout(() => {
      abort.removeEventListener("abort", stop);
      resolve();
    }, ms);
    const stop = () => {
      clearTimeout(timer);
      reject(abort.reason);
    };
    abort.addEventListener("abort", stop, { once: true });
  });
}

function retryAfterMs(response: Response, fallback: number): number {
  const seconds = Number(response.headers.get("Retry-After"));
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 60) * 1000 : fallback;
}

async function problemText(response: Response): Promise<string> {
  try {
    const problem = (await response.json()) as { title?: string; detail?: string | null };
    return problem.detail || problem.title || response.statusText;
  } catch {
    return response.statusText || `HTTP ${response.status}`;
  }
}

/** POST /v1/analyses, then GET its Location for a few seconds when it answers 202. Never throws. */
export async function requestAnalysis(request: AnalysisRequest, abort: AbortSignal): Promise<Outcome> {
  try {
    let response = await fetch("/v1/analyses", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrfToken() },
      body: JSON.stringify(request),
      signal: abort,
    });
    const deadline = Date.now() + POLL_FOR_MS;
    while (response.status === 202) {
      const { id } = (await response.json()) as { id: string };
      const location = response.headers.get("Location") ?? `/v1/analyses/${id}`;
      const wait = Math.max(250, Math.min(retryAfterMs(response, 1000), 2000));
      if (Date.now() + wait > deadline) return { kind: "pending" };
      await sleep(wait, abort);
      response = await fetch(location, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
        signal: abort,
      });
    }
    if (response.ok) return { kind: "result", result: (await response.json()) as AnalysisResult };
    if (response.status === 429 || response.status === 503)
      return { kind: "busy", retryAfterMs: retryAfterMs(response, 5000), message: await problemText(response) };
    return { kind: "failed", message: await problemText(response) };
  } catch (error) {
    if (abort.aborted) return { kind: "aborted" };
    return { kind: "failed", message: error instanceof Error ? error.message : String(error) };
  }
}

// ---- An editor's client: LRU, latest wins, rate, back-off. ----

/** cyrb53: a fast 53-bit string hash (the LRU's key; collisions are vanishingly unlikely at this size). */
function hash(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36) + ":" + text.length.toString(36);
}

export function requestKey(request: AnalysisRequest): string {
  const files = request.files.map((f) => [f.name, f.content]);
  return hash(JSON.stringify([request.language, request.version ?? "", [...request.checks].sort(), files]));
}

const LRU_SIZE = 32;
/** Shared by every editor of the page (the same files give the same answer). */
const results = new Map<string, AnalysisResult>();

function remember(key: string, result: AnalysisResult): void {
  results.delete(key);
  results.set(key, result);
  while (results.size > LRU_SIZE) results.delete(results.keys().next().value as string);
}

function recall(key: string): AnalysisResult | undefined {
  const found = results.get(key);
  if (found) remember(key, found);
  return found;
}

/** At most one request in flight per client, at least this far apart (≤ 2 requests a second). */
export const MIN_INTERVAL_MS = 500;

export class AnalysisClient {
  private controller: AbortController | null = null;
  private lastStart = 0;
  private pausedUntil = 0;

  /** When a back-off ends (0: none); a caller may try again then. */
  get resumesAt(): number {
    return this.pausedUntil > Date.now() ? this.pausedUntil : 0;
  }

  /** Aborts whatever this client has in flight. */
  cancel(): void {
    this.controller?.abort();
    this.controller = null;
  }

  /** Latest wins: starting a request aborts this client's previous one (which then answers `aborted`). */
  async analyse(request: AnalysisRequest): Promise<Outcome> {
    this.cancel();
    const key = requestKey(request);
    const known = recall(key);
    if (known) return { kind: "result", result: known };
    // Backing off after a 429 or 503: nothing is asked until it ends.
    const paused = this.pausedUntil - Date.now();
    if (paused > 0) return { kind: "busy", retryAfterMs: paused, message: "Too many analyses: try again shortly" };
    const controller = new AbortController();
    this.controller = controller;
    try {
      const wait = this.lastStart + MIN_INTERVAL_MS - Date.now();
      if (wait > 0) await sleep(wait, controller.signal);
    } catch {
      return { kind: "aborted" };
    }
    this.lastStart = Date.now();
    const outcome = await requestAnalysis(request, controller.signal);
    if (this.controller === controller) this.controller = null;
    if (outcome.kind === "busy") this.pausedUntil = Date.now() + outcome.retryAfterMs;
    if (outcome.kind === "result" && isFinal(outcome.result)) remember(key, outcome.result);
    return outcome;
  }
}

/** Results worth keeping: the tools finished (a crash or a limit may not happen next time). */
function isFinal(result: AnalysisResult): boolean {
  return result.status === "ok" || result.status === "unsupported";
}
