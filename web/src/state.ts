// App state as signals; the workspace (files, language, stdin, the open snippet) survives reloads,
// per tab (sessionStorage) and for the next tab (localStorage).
import { effect, signal } from "@preact/signals";
import type { Language } from "./api/client";
import { entryKey } from "./router";
import { SAMPLES } from "./starters";

// Re-exported: pages import the app's state and routing from here.
export { SAMPLES, sampleFor } from "./starters";
export { COLLAB_PATH, navigate, route } from "./router";

export interface SourceFile {
  name: string;
  content: string;
}

export interface OpenSnippet {
  id: string;
  title: string;
  description: string;
  visibility: "private" | "unlisted" | "public";
  revision: number;
  owned: boolean;
  /** The share link's token, when known (the owner's view, or opened through the link). */
  token: string | null;
}

export interface Workspace {
  language: string;
  version: string;
  files: SourceFile[];
  active: number;
  stdin: string;
  snippet: OpenSnippet | null;
  /** fingerprint() of the files as last opened or saved (a snippet's revision, a starter, a run's
   * code): the workspace is unsaved when it differs. Absent in workspaces kept by older builds. */
  baseline?: string | null;
}

/** localStorage: the workspace last edited in any tab; a new tab starts from it. */
const STORAGE_KEY = "crh.workspace.v1";
/** sessionStorage: this tab's workspace and the history entry it belongs to (a reload restores it). */
const TAB_KEY = "crh.tab.workspace";
/** sessionStorage: the workspace as it was when a history entry was left; Back or Forward to it
 * brings it back (the latest MAX_ENTRIES entries, listed in ENTRIES_KEY). */
const ENTRY_PREFIX = "crh.tab.entry.";
const ENTRIES_KEY = "crh.tab.entries";
const MAX_ENTRIES = 50;
const THEME_KEY = "crh.theme";

function read<T>(storage: Storage, key: string): T | null {
  try {
    return JSON.parse(storage.getItem(key) ?? "null") as T | null;
  } catch {
    return null; // a damaged entry: as if there were none
  }
}

const usable = (ws: Workspace | null | undefined): ws is Workspace =>
  !!ws && Array.isArray(ws.files) && ws.files.length > 0;

/** The files and language, as one comparable string. */
export function fingerprint(ws: Pick<Workspace, "language" | "files">): string {
  return JSON.stringify([ws.language, ws.files.map((f) => [f.name, f.content])]);
}

function starterWorkspace(): Workspace {
  const files = [{ name: "main.py", content: SAMPLES.python }];
  return { language: "python", version: "", files, active: 0, stdin: "", snippet: null, baseline: null };
}

/** Where this tab's workspace came from: its own history entry (a reload, or Back into a page that
 * was left), or the last workspace of any tab (a new tab). */
export let restoredFromEntry = false;

function initialWorkspace(): Workspace {
  const tab = read<{ entry: string; workspace: Workspace }>(sessionStorage, TAB_KEY);
  if (tab && tab.entry === entryKey() && usable(tab.workspace)) {
    restoredFromEntry = true;
    return tab.workspace;
  }
  const left = read<Workspace>(sessionStorage, ENTRY_PREFIX + entryKey());
  if (usable(left)) {
    restoredFromEntry = true;
    return left;
  }
  const saved = read<Workspace>(localStorage, STORAGE_KEY);
  return usable(saved) ? saved : starterWorkspace();
}

export const workspace = signal<Workspace>(initialWorkspace());

function persist(value: Workspace): void {
  const text = JSON.stringify(value);
  try {
    localStorage.setItem(STORAGE_KEY, text);
    sessionStorage.setItem(TAB_KEY, JSON.stringify({ entry: entryKey(), workspace: value }));
  } catch {
    /* storage full or disabled: the workspace still lives in memory */
  }
}

let saveTimer: number | undefined;
effect(() => {
  const value = workspace.value;
  window.clearTimeout(saveTimer);
  saveTimer = window.setTimeout(() => persist(value), 200);
});
// A page load elsewhere (a reload, an address typed, a provider's sign-in) must not lose the last
// change to the debounce.
window.addEventListener("pagehide", () => persist(workspace.value));

/** Remembers the workspace for the history entry being left (and this tab's for the one reached). */
export function rememberEntry(key: string): void {
  try {
    // The oldest entries' workspaces go: sessionStorage holds a few megabytes per origin.
    const keys = (read<string[]>(sessionStorage, ENTRIES_KEY) ?? []).filter((k) => k !== key);
    for (const old of keys.splice(0, Math.max(0, keys.length + 1 - MAX_ENTRIES))) {
      sessionStorage.removeItem(ENTRY_PREFIX + old);
    }
    sessionStorage.setItem(ENTRIES_KEY, JSON.stringify([...keys, key]));
    sessionStorage.setItem(ENTRY_PREFIX + key, JSON.stringify(workspace.value));
  } catch {
    /* storage full: Back shows the workspace as it is */
  }
}

export const saveTab = (): void => persist(workspace.value);

export function rememberedEntry(key: string): Workspace | null {
  const ws = read<Workspace>(sessionStorage, ENTRY_PREFIX + key);
  return usable(ws) ? ws : null;
}

/** Bumped when the files are replaced from outside (a snippet opened): the editor rebuilds its tabs. */
export const editorEpoch = signal(0);

export function replaceFiles(change: Partial<Workspace> & { files: SourceFile[] }): void {
  editorEpoch.value++;
  workspace.value = { ...workspace.value, active: 0, ...change };
}

export function updateWorkspace(change: Partial<Workspace>): void {
  workspace.value = { ...workspace.value, ...change };
}

export function setFileContent(index: number, content: string): void {
  const files = workspace.value.files.map((file, i) => (i === index ? { ...file, content } : file));
  // Written at once: a reload right after typing must not lose it.
  workspace.value = { ...workspace.value, files };
  persist(workspace.value);
}

export type Theme = "light" | "dark";
const prefersDark = window.matchMedia?.("(prefers-color-scheme: dark)").matches;
export const theme = signal<Theme>((localStorage.getItem(THEME_KEY) as Theme | null) ?? (prefersDark ? "dark" : "light"));
effect(() => {
  document.documentElement.dataset.theme = theme.value;
  localStorage.setItem(THEME_KEY, theme.value);
});

export const languages = signal<Language[]>([]);

/** sessionStorage: the session page to go back to once signed in (its invite needed an account). */
export const RETURN_KEY = "crh.return";
