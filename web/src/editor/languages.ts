// Highlighting and completion per language id (GET /v1/languages), each pack loaded on first use.
// Lezer packs where CodeMirror has one; legacy stream modes for the rest, a kindred language's mode (adapted) where
// the language has none; none for plaintext.
import { completeAnyWord, type CompletionSource } from "@codemirror/autocomplete";
import {
  indentUnit,
  LanguageSupport,
  StreamLanguage,
  type StreamParser,
  type StringStream,
} from "@codemirror/language";
import { EditorState, type Extension } from "@codemirror/state";
import { KEYWORDS } from "./keywords";

type Loader = () => Promise<Extension>;

const legacy = (parser: StreamParser<unknown>): Extension => new LanguageSupport(StreamLanguage.define(parser));

// What a mode needs for a language it was not written for. before: tokens it gets wrong, tried first wherever
// the mode is between tokens (its tokenizer is its first one, not one inside a string or comment); keywords:
// names it leaves plain that are the language's keywords; nameEnd: what may end a name (BASIC's name$);
// commentTokens: the language's comments (what toggling a comment writes).
type Adaptation = { before?: [RegExp, string][]; keywords?: RegExp; nameEnd?: RegExp; commentTokens?: object };

/** The mode under the language's name, without the original's completion words (KEYWORDS has the language's). */
function adapt(base: StreamParser<unknown>, name: string, adaptation: Adaptation = {}) {
  const { before = [], keywords, nameEnd, commentTokens } = adaptation;
  type Tokenizing = { tokenize?: unknown };
  const first = (base.startState?.(2) as Tokenizing | undefined)?.tokenize;
  const idle = (state: unknown): boolean => {
    const tokenize = (state as Tokenizing).tokenize;
    return Array.isArray(tokenize) ? tokenize.length === 1 : tokenize === first; // ruby keeps a stack
  };
  const { autocomplete: _, ...data } = (base.languageData ?? {}) as Record<string, unknown>;
  const languageData = commentTokens ? { ...data, commentTokens } : data;
  const parser: StreamParser<unknown> = {
    ...base,
    name,
    token(stream, state) {
      if (before.length && idle(state)) for (const [pattern, style] of before) if (stream.match(pattern)) return style;
      const style = base.token(stream, state);
      if (!/^\w+$/.test(stream.current()) || (style && !/^(variable|builtin)/.test(style))) return style; // not a name
      if (nameEnd) stream.match(nameEnd);
      return keywords?.test(stream.current()) ? "keyword" : style;
    },
    languageData,
  };
  return parser;
}

const split = (list: string): string[] => list.trim().split(/\s+/);
const words = (list: string): Record<string, boolean> => Object.fromEntries(split(list).map((w) => [w, true]));
const anyOf = (list: string, flags = ""): RegExp => new RegExp(`^(?:${split(list).join("|")})$`, flags);
const lineComment = (stream: StringStream): string => (stream.skipToEnd(), "comment");

// Modes that more than one language uses.
const mode = {
  clike: () => import("@codemirror/legacy-modes/mode/clike"),
  clojure: async () => (await import("@codemirror/legacy-modes/mode/clojure")).clojure,
  erlang: async () => (await import("@codemirror/legacy-modes/mode/erlang")).erlang,
  scheme: async () => (await import("@codemirror/legacy-modes/mode/scheme")).scheme,
};

// awk and bc: C-like statements, # comments (bc's /* */ too), "..." strings.
const awk = async () =>
  adapt(
    (await mode.clike()).clike({
      name: "awk",
      keywords: words(`BEGIN END BEGINFILE ENDFILE function func if else while for do break continue next nextfile exit
        return delete in getline print printf`),
      builtin: words("length substr index split sub gsub match sprintf tolower toupper int system close fflush"),
      atoms: words("NR NF FNR FS OFS RS ORS FILENAME SUBSEP RSTART RLENGTH ENVIRON ARGC ARGV"),
      hooks: { "#": lineComment, $: (stream: StringStream) => (stream.eatWhile(/\w/), "variableName.special") },
    }),
    "awk",
    { commentTokens: { line: "#" } },
  );
const bc = async () =>
  adapt(
    (await mode.clike()).clike({
      name: "bc",
      keywords: words("define auto if else while for break continue return quit halt print read limits warranty"),
      builtin: words("length sqrt"),
      atoms: words("scale ibase obase last"),
      hooks: { "#": lineComment },
    }),
    "bc",
    { commentTokens: { line: "#", block: { open: "/*", close: "*/" } } },
  );

// JavaScript's standard globals (and the consoles and timers every runtime has), taken from this
// page's runtime: scopeCompletionSource(globalThis) itself would offer the browser's window and
// document, which a program run on the server does not have.
const JS_GLOBALS = `Array ArrayBuffer AggregateError Atomics BigInt BigInt64Array BigUint64Array Boolean DataView Date
  Error EvalError FinalizationRegistry Float32Array Float64Array Function Infinity Int8Array Int16Array Int32Array
  Intl Iterator JSON Map Math NaN Number Object Promise Proxy RangeError ReferenceError Reflect RegExp Set
  SharedArrayBuffer String Symbol SyntaxError TypeError URIError Uint8Array Uint8ClampedArray Uint16Array
  Uint32Array WeakMap WeakRef WeakSet decodeURI decodeURIComponent encodeURI encodeURIComponent globalThis isFinite
  isNaN parseFloat parseInt undefined AbortController Blob TextDecoder TextEncoder URL URLSearchParams atob btoa
  clearInterval clearTimeout console crypto fetch performance queueMicrotask setInterval setTimeout structuredClone`;

/** The scope for @codemirror/lang-javascript's scopeCompletionSource: no prototype (no toString). */
function javascriptScope(): Record<string, unknown> {
  const scope = Object.create(null) as Record<string, unknown>;
  const global = globalThis as unknown as Record<string, unknown>;
  for (const name of JS_GLOBALS.split(/\s+/).filter(Boolean)) if (name in global) scope[name] = global[name];
  return scope;
}

// JavaScript and TypeScript: the pack's keywords and the file's names, and the standard globals' members
// (console.lo offers log).
const javascript = async (typescript: boolean): Promise<Extension> => {
  const pack = await import("@codemirror/lang-javascript");
  const support = pack.javascript({ typescript });
  return [support, support.language.data.of({ autocomplete: pack.scopeCompletionSource(javascriptScope()) })];
};

const LOADERS: Record<string, Loader> = {
  // Python: the pack's builtins, keywords and the file's names, and the imported modules' members.
  python: async () => {
    const [pack, { pythonModuleCompletion }] = await Promise.all([
      import("@codemirror/lang-python"),
      import("./pythonCompletion"),
    ]);
    return [pack.python(), pack.pythonLanguage.data.of({ autocomplete: pythonModuleCompletion })];
  },
  javascript: () => javascript(false),
  typescript: () => javascript(true),
  c: async () => (await import("@codemirror/lang-cpp")).cpp(),
  cpp: async () => (await import("@codemirror/lang-cpp")).cpp(),
  go: async () => (await import("@codemirror/lang-go")).go(),
  java: async () => (await import("@codemirror/lang-java")).java(),
  rust: async () => (await import("@codemirror/lang-rust")).rust(),
  php: async () => (await import("@codemirror/lang-php")).php({ plain: false }),
  sql: async () => (await import("@codemirror/lang-sql")).sql(),
  fortran: async () => legacy((await import("@codemirror/legacy-modes/mode/fortran")).fortran),
  kotlin: async () => legacy((await import("@codemirror/legacy-modes/mode/clike")).kotlin),
  csharp: async () => legacy((await import("@codemirror/legacy-modes/mode/clike")).csharp),
  haskell: async () => legacy((await import("@codemirror/legacy-modes/mode/haskell")).haskell),
  ruby: async () => legacy((await import("@codemirror/legacy-modes/mode/ruby")).ruby),
  perl: async () => legacy((await import("@codemirror/legacy-modes/mode/perl")).perl),
  lua: async () => legacy((await import("@codemirror/legacy-modes/mode/lua")).lua),
  bash: async () => legacy((await import("@codemirror/legacy-modes/mode/shell")).shell),
  // Elixir's do/end blocks, strings, #{} interpolation, :atoms and @attributes are Ruby's.
  elixir: async () =>
    legacy(
      adapt((await import("@codemirror/legacy-modes/mode/ruby")).ruby, "elixir", {
        keywords: anyOf(`defmodule defp defmacro defmacrop defstruct defprotocol defimpl defdelegate defguard fn
          receive cond with quote unquote import alias require use after catch try raise`),
      }),
    ),
  erlang: async () => legacy(await mode.erlang()),
  ocaml: async () => legacy((await import("@codemirror/legacy-modes/mode/mllike")).oCaml),
  clojure: async () => legacy(await mode.clojure()),
  commonlisp: async () => legacy((await import("@codemirror/legacy-modes/mode/commonlisp")).commonLisp),
  racket: async () => legacy(adapt(await mode.scheme(), "racket")),
  scheme: async () => legacy(await mode.scheme()),
  // Prolog's clauses, Variables, 'atoms', "strings" and % comments are Erlang's.
  prolog: async () => legacy(adapt(await mode.erlang(), "prolog")),
  pascal: async () => legacy((await import("@codemirror/legacy-modes/mode/pascal")).pascal),
  // Ada in the VHDL mode (its -- comments, "..." strings, much of its words), but 'x' is a character, X'First an
  // attribute, and "" inside a string a quote.
  ada: async () =>
    legacy(
      adapt((await import("@codemirror/legacy-modes/mode/vhdl")).vhdl, "ada", {
        before: [
          [/^"(?:[^"]|"")*"?/, "string"],
          [/^'.'/, "string"],
          [/^'/, "operator"],
        ],
        keywords: anyOf(
          `abort abstract accept aliased at declare delay delta digits do entry exception goto interface limited not
          overriding pragma private protected raise renames requeue reverse separate some synchronized tagged task
          terminate`,
          "i",
        ),
      }),
    ),
  d: async () => legacy((await import("@codemirror/legacy-modes/mode/d")).d),
  // NASM in the gas mode's x86 flavour (its registers and "..." strings), with NASM's ; comments, '...' and `...`
  // strings, % macros and directives.
  assembly: async () =>
    legacy(
      adapt((await import("@codemirror/legacy-modes/mode/gas")).gas, "assembly", {
        before: [
          [/^;.*/, "comment"],
          [/^'[^']*'?/, "string"],
          [/^`(?:[^`\\]|\\.)*`?/, "string"],
          [/^%\w+/, "meta"],
        ],
        keywords: anyOf("section segment global extern bits default d[bwdqt] res[bwdq] equ times incbin", "i"),
        commentTokens: { line: ";" },
      }),
    ),
  objectivec: async () => legacy((await mode.clike()).objectiveC),
  cobol: async () => legacy((await import("@codemirror/legacy-modes/mode/cobol")).cobol),
  // Nim's indentation, # comments and "..."/"""...""" strings are Python's.
  nim: async () =>
    legacy(
      adapt((await import("@codemirror/legacy-modes/mode/python")).python, "nim", {
        keywords: anyOf(`proc func method iterator converter macro template let var const type object tuple enum
          ref ptr distinct discard when of case cast block defer mixin bind using static nil div mod shl shr xor notin
          isnot echo`),
      }),
    ),
  crystal: async () => legacy((await import("@codemirror/legacy-modes/mode/crystal")).crystal),
  swift: async () => legacy((await import("@codemirror/legacy-modes/mode/swift")).swift),
  // Vala is C#-like: classes, namespaces, "..." and @"..." strings.
  vala: async () => legacy(adapt((await mode.clike()).csharp, "vala")),
  forth: async () => legacy((await import("@codemirror/legacy-modes/mode/forth")).forth),
  r: async () => legacy((await import("@codemirror/legacy-modes/mode/r")).r),
  octave: async () => legacy((await import("@codemirror/legacy-modes/mode/octave")).octave),
  // The tcl mode colours a string only inside parentheses; "..." is one anywhere.
  tcl: async () =>
    legacy(
      adapt((await import("@codemirror/legacy-modes/mode/tcl")).tcl, "tcl", {
        before: [[/^"(?:[^"\\]|\\.)*"?/, "string"]],
      }),
    ),
  awk: async () => legacy(await awk()),
  coffeescript: async () => legacy((await import("@codemirror/legacy-modes/mode/coffeescript")).coffeeScript),
  // yabasic in the VBScript mode, with name$ string variables, // comments and yabasic's own words.
  basic: async () =>
    legacy(
      adapt((await import("@codemirror/legacy-modes/mode/vbscript")).vbScript, "basic", {
        before: [[/^\/\/.*/, "comment"]],
        nameEnd: /^\$/,
        keywords: anyOf("print input endif fi elsif repeat label gosub local static export", "i"),
        commentTokens: { line: "//" },
      }),
    ),
  // Hy is a Lisp on Python with Clojure's look: defn, fn, [vectors], :keywords.
  hy: async () => legacy(adapt(await mode.clojure(), "hy")),
  bc: async () => legacy(await bc()),
  groovy: async () => legacy((await import("@codemirror/legacy-modes/mode/groovy")).groovy),
  scala: async () => legacy((await mode.clike()).scala),
  // plaintext: no highlighting, by design.
};

// Packs that complete keywords (and more: scope-aware names) themselves.
const PACK_COMPLETES = new Set(["python", "javascript", "typescript", "go", "sql"]);


function keywordSource(language: string): CompletionSource {
  const options = (KEYWORDS[language] ?? "").split(/\s+/).filter(Boolean).map((label) => ({ label, type: "keyword" }));
  return (context) => {
    const word = context.matchBefore(/[\w.!:]+/);
    if (!word || (word.from === word.to && !context.explicit)) return null;
    return { from: word.from, options, validFor: /^[\w.!:]*$/ };
  };
}

// Indentation by each language's convention (its style guide or formatter): four spaces unless named here.
const TAB_INDENTED = new Set(["go"]); // gofmt
const TWO_SPACES = new Set(
  split(`javascript typescript ruby elixir ocaml haskell clojure commonlisp racket scheme hy lua bash sql r octave
    nim crystal coffeescript scala dart pascal fortran basic forth`),
);

/** The indent unit and tab width of a language's convention. */
export function indentation(language: string): Extension {
  if (TAB_INDENTED.has(language)) return [indentUnit.of("\t"), EditorState.tabSize.of(4)];
  const width = TWO_SPACES.has(language) ? 2 : 4;
  return [indentUnit.of(" ".repeat(width)), EditorState.tabSize.of(width)];
}

/** The language's highlighting plus completion: the pack's own sources where it has them (keywords,
 * names in scope), else the language's keywords and the words in the document. */
export async function languageExtension(language: string): Promise<Extension> {
  const loader = LOADERS[language];
  const support = loader ? await loader() : [];
  // The same source objects every time: completion matches answers to their source by identity.
  const data = PACK_COMPLETES.has(language)
    ? []
    : [{ autocomplete: keywordSource(language) }, { autocomplete: completeAnyWord }];
  const completion = EditorState.languageData.of(() => data);
  return [support, completion, indentation(language)];
}

export function hasPack(language: string): boolean {
  return language in LOADERS;
}
