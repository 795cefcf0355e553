// Highlighting and completion per language id (GET /v1/languages), each pack loaded on first use.
// Lezer packs where CodeMirror has one; legacy stream modes for the rest.
import { completeAnyWord, type CompletionSource } from "@codemirror/autocomplete";
import { LanguageSupport, StreamLanguage, type StreamParser } from "@codemirror/language";
import { EditorState, type Extension } from "@codemirror/state";

type Loader = () => Promise<Extension>;

const legacy = (parser: StreamParser<unknown>): Extension => new LanguageSupport(StreamLanguage.define(parser));

const LOADERS: Record<string, Loader> = {
  python: async () => (await import("@codemirror/lang-python")).python(),
  javascript: async () => (await import("@codemirror/lang-javascript")).javascript(),
  typescript: async () => (await import("@codemirror/lang-javascript")).javascript({ typescript: true }),
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
};

// Packs that complete keywords (and more: scope-aware names) themselves.
const PACK_COMPLETES = new Set(["python", "javascript", "typescript", "go", "sql"]);

// Keywords and common names offered by completion where no pack does.
const KEYWORDS: Record<string, string> = {
  c: "auto break case char const continue default do double else enum extern float for goto if int long register return short signed sizeof static struct switch typedef union unsigned void volatile while include printf scanf malloc free",
  cpp: "auto bool break case catch char class const constexpr continue default delete do double else enum explicit false float for friend if inline int long namespace new nullptr operator private protected public return short sizeof static struct switch template this throw true try typedef typename using virtual void while include iostream std::cout std::cin std::endl std::vector std::string",
  fortran:
    "program end implicit none integer real double precision character logical parameter dimension allocatable do if then else endif enddo call subroutine function return print write read stop module use contains",
  java: "abstract boolean break byte case catch char class continue default do double else enum extends final finally float for if implements import instanceof int interface long new package private protected public return short static super switch this throw throws try void while System.out.println String Scanner",
  kotlin:
    "as break class continue do else false for fun if in interface is null object package return super this throw true try typealias val var when while println readLine listOf mapOf",
  csharp:
    "abstract as bool break case catch class const continue decimal default do double else enum false finally float for foreach if int interface internal is long namespace new null object private protected public readonly return static string struct switch this throw true try using var void while Console.WriteLine Console.ReadLine",
  rust: "as async await break const continue crate else enum extern false fn for if impl in let loop match mod move mut pub ref return self static struct super trait true type unsafe use where while println! vec! String Vec Option Result",
  haskell:
    "case class data deriving do else if import in infix instance let module newtype of then type where main putStrLn getLine print show read map filter foldr",
  ruby: "alias and begin break case class def defined? do else elsif end ensure false for if in module next nil not or redo rescue retry return self super then true undef unless until when while yield puts gets require attr_accessor",
  php: "abstract array as break case catch class clone const continue declare default do echo else elseif empty endif endforeach extends final for foreach function global if implements include interface isset namespace new private protected public require return static switch throw trait try unset use var while",
  perl: "my our local sub if elsif else unless while until for foreach last next redo return use strict warnings print say chomp split join push pop shift",
  lua: "and break do else elseif end false for function goto if in local nil not or repeat return then true until while print io.read string.format table.insert",
  bash: "if then else elif fi case esac for while until do done in function select time echo read printf local export return exit shift test",
};

function keywordSource(language: string): CompletionSource {
  const options = (KEYWORDS[language] ?? "").split(/\s+/).filter(Boolean).map((label) => ({ label, type: "keyword" }));
  return (context) => {
    const word = context.matchBefore(/[\w.!:]+/);
    if (!word || (word.from === word.to && !context.explicit)) return null;
    return { from: word.from, options, validFor: /^[\w.!:]*$/ };
  };
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
  return [support, completion];
}

export function hasPack(language: string): boolean {
  return language in LOADERS;
}
