// App state as signals; the workspace (files, language, stdin, the open snippet) survives reloads.
import { effect, signal } from "@preact/signals";
import type { Language } from "./api/client";

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
}

const STORAGE_KEY = "crh.workspace.v1";
const THEME_KEY = "crh.theme";

export const SAMPLES: Record<string, string> = {
  python: 'name = input("Your name? ")\nprint(f"Hello, {name}!")\n',
  javascript: 'console.log("Hello from JavaScript");\n',
  typescript: 'const greet = (who: string): string => `Hello, ${who}!`;\nconsole.log(greet("TypeScript"));\n',
  c: '#include <stdio.h>\n\nint main(void) {\n    printf("Hello from C\\n");\n    return 0;\n}\n',
  cpp: '#include <iostream>\n\nint main() {\n    std::cout << "Hello from C++" << std::endl;\n    return 0;\n}\n',
  go: 'package main\n\nimport "fmt"\n\nfunc main() {\n\tfmt.Println("Hello from Go")\n}\n',
  java: 'public class Main {\n    public static void main(String[] args) {\n        System.out.println("Hello from Java");\n    }\n}\n',
  rust: 'fn main() {\n    println!("Hello from Rust");\n}\n',
  ruby: 'puts "Hello from Ruby"\n',
  bash: 'echo "Hello from Bash"\n',
};

export function sampleFor(language: Language): SourceFile {
  return { name: language.source_file, content: SAMPLES[language.id] ?? "" };
}

function initialWorkspace(): Workspace {
  try {
    const saved = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? "null") as Workspace | null;
    if (saved && Array.isArray(saved.files) && saved.files.length > 0) return saved;
  } catch {
    /* a damaged entry: start over */
  }
  return {
    language: "python",
    version: "",
    files: [{ name: "main.py", content: SAMPLES.python }],
    active: 0,
    stdin: "",
    snippet: null,
  };
}

export const workspace = signal<Workspace>(initialWorkspace());

let saveTimer: number | undefined;
effect(() => {
  const value = workspace.value;
  window.clearTimeout(saveTimer);
  saveTimer = window.setTimeout(() => localStorage.setItem(STORAGE_KEY, JSON.stringify(value)), 200);
});

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
  localStorage.setItem(STORAGE_KEY, JSON.stringify(workspace.value));
}

export type Theme = "light" | "dark";
const prefersDark = window.matchMedia?.("(prefers-color-scheme: dark)").matches;
export const theme = signal<Theme>((localStorage.getItem(THEME_KEY) as Theme | null) ?? (prefersDark ? "dark" : "light"));
effect(() => {
  document.documentElement.dataset.theme = theme.value;
  localStorage.setItem(THEME_KEY, theme.value);
});

export const languages = signal<Language[]>([]);

/** A live session's page is a path, /collab/<id> (its invite links carry #k=<token>, not a route). */
export const COLLAB_PATH = /^\/collab\/([\w-]+)\/?$/;

/** Hash routes: #/, #/s/<token>, #/snippets, #/history, #/history/<id>, #/analytics, #/account; and
 * /collab/<id>. */
function currentRoute(): string {
  const collab = COLLAB_PATH.exec(location.pathname);
  return collab ? `/collab/${collab[1]}` : location.hash.slice(1) || "/";
}

export const route = signal<string>(currentRoute());
/** sessionStorage: the session page to go back to once signed in (its invite needed an account). */
export const RETURN_KEY = "crh.return";
window.addEventListener("hashchange", () => {
  route.value = currentRoute();
});

export function navigate(path: string): void {
  location.hash = path;
}
