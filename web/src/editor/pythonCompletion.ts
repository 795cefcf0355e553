// Python's standard library in completion, beside lang-python's own (keywords, builtins, the file's
// names), from a list made from CPython's modules (./pythonModules.ts). Loaded with the Python pack
// (languages.ts), not with the app.
import type { Completion, CompletionContext, CompletionResult, CompletionSource } from "@codemirror/autocomplete";
import { syntaxTree } from "@codemirror/language";
import type { EditorState, Text } from "@codemirror/state";
import { PYTHON_MODULES } from "./pythonModules";

// Python: the members of the modules the file imports, and module names after `import`/`from`.
const MODULE_OPTIONS = new Map<string, Completion[]>(
  Object.entries(PYTHON_MODULES).map(([module, groups]) => [
    module,
    Object.entries(groups).flatMap(([type, names]) => names.split(" ").map((label) => ({ label, type }))),
  ]),
);
const MODULE_NAMES: Completion[] = Object.keys(PYTHON_MODULES).map((label) => ({ label, type: "namespace" }));
const NOT_CODE = new Set(["String", "FormatString", "Comment"]);

/** What each imported name stands for: `import os.path` binds os, `import numpy as np` np,
 * `from os import path` path (a module here only when it is one of ours). */
function pythonImports(doc: Text): Map<string, string> {
  const bound = new Map<string, string>();
  const text = doc.toString();
  for (const [, list] of text.matchAll(/^[ \t]*import[ \t]+([\w., \t]+)/gm)) {
    for (const item of list.split(",")) {
      const [module, alias] = item.trim().split(/\s+as\s+/);
      if (module) bound.set(alias ?? module.split(".")[0], alias ? module : module.split(".")[0]);
    }
  }
  for (const [, from, list] of text.matchAll(/^[ \t]*from[ \t]+([\w.]+)[ \t]+import[ \t]+\(?([\w, \t]+)/gm)) {
    for (const item of list.split(",")) {
      const [name, alias] = item.trim().split(/\s+as\s+/);
      if (name && PYTHON_MODULES[`${from}.${name}`]) bound.set(alias ?? name, `${from}.${name}`);
    }
  }
  return bound;
}

// The imports of the last document looked at (completion asks again on every keystroke).
const importsOf = new WeakMap<Text, Map<string, string>>();
function importsIn(state: EditorState): Map<string, string> {
  let found = importsOf.get(state.doc);
  if (!found) importsOf.set(state.doc, (found = pythonImports(state.doc)));
  return found;
}

export const pythonModuleCompletion: CompletionSource = (context: CompletionContext): CompletionResult | null => {
  if (NOT_CODE.has(syntaxTree(context.state).resolveInner(context.pos, -1).name)) return null;
  const line = context.state.doc.lineAt(context.pos);
  const before = line.text.slice(0, context.pos - line.from);
  // A module's name: `import ma`, `from coll`, `import os.pa`.
  const naming = /^\s*(?:import|from)\s+([\w.]*)$/.exec(before);
  if (naming) {
    const typed = naming[1]!;
    const dot = typed.lastIndexOf(".");
    const parent = typed.slice(0, dot + 1);
    const options = MODULE_NAMES.filter((m) => m.label.startsWith(parent))
      .map((m) => ({ ...m, label: m.label.slice(parent.length) }))
      .filter((m) => !m.label.includes("."));
    return { from: context.pos - typed.length + parent.length, options, validFor: /^\w*$/ };
  }
  // A name the module has: `from math import sq`, `from os import path, get`.
  const importing = /^\s*from\s+([\w.]+)\s+import\s+(?:\(?[\w\s,]*,\s*)?\(?(\w*)$/.exec(before);
  if (importing) {
    const options = MODULE_OPTIONS.get(importing[1]!);
    return options ? { from: context.pos - importing[2]!.length, options, validFor: /^\w*$/ } : null;
  }
  // A member: `math.sq`, `os.path.jo`, `np_alias.x` for an imported module of ours.
  const member = /([A-Za-z_][\w.]*)\.(\w*)$/.exec(before);
  if (!member) return null;
  const [head, ...rest] = member[1]!.split(".");
  const module = importsIn(context.state).get(head!);
  const options = module && MODULE_OPTIONS.get([module, ...rest].join("."));
  if (!options) return null;
  return { from: context.pos - member[2]!.length, options, validFor: /^\w*$/ };
};
