// Unsaved code is never dropped without a way back: what replaces it (a snippet or a share link
// opened, a run's code, a revision, a reset) keeps it for the undo bar; each language remembers its
// own code; Back and Forward bring back the workspace each page had; a reload keeps the tab's.
import { signal } from "@preact/signals";
import type { Language } from "./api/client";
import { entryKey, isEditorPath, navigate, navigationHooks, route } from "./router";
import { isSample, sampleFor } from "./starters";
import {
  editorEpoch,
  fingerprint,
  rememberEntry,
  rememberedEntry,
  restoredFromEntry,
  saveTab,
  workspace,
  type SourceFile,
  type Workspace,
} from "./state";

/** Unsaved: the files differ from those last opened or saved (a snippet's revision, a starter, a
 * run's code). A workspace from an older build, without that record, is unsaved unless it is a
 * starter as it came. */
export function isUnsaved(ws: Workspace): boolean {
  if (ws.baseline) return fingerprint(ws) !== ws.baseline;
  return !(ws.files.length === 1 && isSample(ws.files[0].content));
}

/** The code a replacement kept, and what replaced it: the undo bar's. */
export interface Kept {
  message: string;
  workspace: Workspace;
}

export const kept = signal<Kept | null>(null);

/** The history entry the app is at, and whether it was returned to (a reload, Back, Forward) with
 * its workspace remembered: its address is not opened again then, which would replace the code. */
export const arrival = signal({ key: entryKey(), revisit: restoredFromEntry });

function show(ws: Workspace): void {
  editorEpoch.value++;
  workspace.value = ws;
}

navigationHooks.leave = rememberEntry;
navigationHooks.arrive = (key, revisit) => {
  kept.value = null;
  const left = revisit ? rememberedEntry(key) : null;
  if (left && isEditorPath(location.pathname) && JSON.stringify(left) !== JSON.stringify(workspace.value)) show(left);
  arrival.value = { key, revisit: left !== null };
  saveTab();
};

/** Replaces the editor's files; unsaved code that would go is kept for the undo bar. */
export function replaceKeeping(change: Partial<Workspace> & { files: SourceFile[] }, message: string): void {
  const before = workspace.value;
  const next: Workspace = { ...before, active: 0, ...change };
  next.baseline = change.baseline ?? fingerprint(next);
  kept.value = isUnsaved(before) && fingerprint(next) !== fingerprint(before) ? { message, workspace: before } : null;
  show(next);
}

/** Back to the kept code; what it replaces is kept in turn if it was edited since it opened. */
export function restoreKept(): void {
  const previous = kept.value;
  if (!previous) return;
  const current = workspace.value;
  const changed = isUnsaved(current) && fingerprint(current) !== fingerprint(previous.workspace);
  kept.value = changed ? { message: "Restored.", workspace: current } : null;
  show(previous.workspace);
  syncAddress();
}

/** The address follows what the editor shows: its snippet's page (or the share link it came
 * through), or / for code that is no snippet. */
export function syncAddress(): void {
  const path = route.value;
  if (!isEditorPath(path)) return;
  const open = workspace.value.snippet;
  const [, first, second] = path.split("/");
  let wanted = "/";
  if (open && first === "s" && second === open.token) wanted = path;
  else if (open) wanted = !open.owned && open.token ? `/s/${open.token}` : `/snippets/${open.id}`;
  if (wanted !== path) navigate(wanted, { replace: true });
}

/** localStorage: each language's last code (files, version, snippet), restored on switching back. */
const LANGUAGE_DRAFTS = "crh.languages.v1";
type LanguageDraft = Pick<Workspace, "files" | "active" | "version" | "snippet" | "baseline">;

function readDrafts(): Record<string, LanguageDraft> {
  try {
    const drafts = JSON.parse(localStorage.getItem(LANGUAGE_DRAFTS) ?? "{}") as Record<string, LanguageDraft>;
    return drafts && typeof drafts === "object" ? drafts : {};
  } catch {
    return {};
  }
}

function starter(language: Language): Pick<Workspace, "language" | "files" | "baseline"> {
  const files = [sampleFor(language)];
  return { language: language.id, files, baseline: fingerprint({ language: language.id, files }) };
}

/** Another language: this one's code is remembered; that one's comes back, or its starter. */
export function switchLanguage(next: Language): void {
  const ws = workspace.value;
  if (next.id === ws.language) return;
  const drafts = readDrafts();
  const { files, active, version, snippet, baseline } = ws;
  drafts[ws.language] = { files, active, version, snippet, baseline: baseline ?? null };
  try {
    localStorage.setItem(LANGUAGE_DRAFTS, JSON.stringify(drafts));
  } catch {
    /* storage full: switching back shows the starter */
  }
  const mine = drafts[next.id];
  kept.value = null;
  if (mine && Array.isArray(mine.files) && mine.files.length > 0) {
    // A version the server no longer offers falls back to its default.
    const known = next.versions.some((v) => v.variant === mine.version);
    const at = Math.min(Math.max(0, mine.active), mine.files.length - 1);
    show({ ...ws, ...mine, language: next.id, version: known ? mine.version : "", active: at });
  } else {
    show({ ...ws, ...starter(next), version: "", active: 0, snippet: null });
  }
  syncAddress();
}

/** The language's starter again (a snippet open is let go: saving would overwrite it). */
export function resetToExample(language: Language): void {
  replaceKeeping({ ...starter(language), snippet: null }, `Reset to the ${language.name} example.`);
  syncAddress();
}

/** History entries whose address the editor has opened (or the app opened for it, like a fork). */
const opened = new Set<string>();

/** Marks the current entry's address as open; false if it already was, or was returned to. */
export function claimOpening(): boolean {
  const { key, revisit } = arrival.peek();
  if (revisit || opened.has(key)) return false;
  opened.add(key);
  return true;
}

export const markOpened = (): void => void opened.add(entryKey());
