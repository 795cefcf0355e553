// Keywords and common names offered by completion where no pack does (languages.ts).
export const KEYWORDS: Record<string, string> = {
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
  elixir:
    "after alias and case catch cond def defmacro defmodule defp defprotocol defimpl defstruct do else end false fn for if import in nil not or quote raise receive require rescue true try unless unquote use when with IO.puts IO.inspect Enum.map Enum.reduce String.split",
  erlang:
    "after and andalso band begin bnot bor bsl bsr bxor case catch div end fun if let not of or orelse receive rem try when xor module export import record define io:format io:fwrite lists:map lists:foldl spawn self",
  ocaml:
    "and as assert begin class constraint do done downto else end exception external false for fun function functor if in include inherit lazy let match method module mutable new object of open or private rec sig struct then to true try type val virtual when while with print_endline print_string Printf.printf List.map List.iter",
  clojure:
    "def defn defn- defmacro defrecord defprotocol fn let loop recur if if-let when when-let cond case do doseq dotimes for ns require import quote try catch finally throw println str map filter reduce first rest conj assoc get nil true false",
  commonlisp:
    "defun defvar defparameter defconstant defmacro defstruct defclass defmethod defgeneric lambda let let* flet labels if when unless cond case loop do dolist dotimes progn setf setq return-from format print princ car cdr cons list nil t",
  racket:
    "define define-values lambda let let* letrec if cond case when unless begin set! require provide struct match for for/list quote displayln display printf newline list cons car cdr map filter foldl racket",
  scheme:
    "define define-syntax lambda let let* letrec if cond case when unless begin do set! quote quasiquote syntax-rules display newline write list cons car cdr map for-each apply",
  prolog:
    "is mod rem not call findall bagof setof assert asserta assertz retract atom number var nonvar write writeln print nl read halt format member append length true fail initialization",
  pascal:
    "and array begin case const div do downto else end file for function goto if in label mod nil not of or packed procedure program record repeat set then to type until uses var while with writeln readln write read integer real boolean string char",
  ada: "abort abs abstract accept access aliased all and array at begin body case constant declare delay delta digits do else elsif end entry exception exit for function generic goto if in interface is limited loop mod new not null of or others out overriding package pragma private procedure protected raise range record rem renames requeue return reverse select separate subtype synchronized tagged task terminate then type until use when while with xor Ada.Text_IO Put_Line Get_Line Integer Natural String",
  d: "abstract alias align asm assert auto body bool break byte case cast catch char class const continue default delegate delete do double else enum export extern false final finally float for foreach foreach_reverse function goto if immutable import in inout int interface is long module new null out override package private protected public pure real ref return scope shared short static string struct super switch synchronized template this throw true try typeof ubyte uint ulong union unittest ushort version void while with writeln std.stdio",
  assembly:
    "section segment global extern bits default db dw dd dq resb resw resd resq equ times mov lea add sub inc dec mul imul div idiv and or xor not neg shl shr cmp test jmp je jne jz jnz jg jl jge jle call ret push pop syscall int nop rax rbx rcx rdx rsi rdi rsp rbp r8 r9 r10 eax",
  objectivec:
    "auto break case char const continue default do double else enum extern float for goto if int long return short signed sizeof static struct switch typedef union unsigned void volatile while interface implementation property synthesize autoreleasepool protocol selector id self super nil YES NO BOOL NSString NSLog NSArray NSDictionary import",
  cobol:
    "IDENTIFICATION DIVISION PROGRAM-ID ENVIRONMENT DATA WORKING-STORAGE SECTION PROCEDURE PIC VALUE DISPLAY ACCEPT MOVE TO ADD SUBTRACT MULTIPLY DIVIDE COMPUTE GIVING IF ELSE END-IF PERFORM UNTIL VARYING END-PERFORM EVALUATE WHEN END-EVALUATE STOP RUN",
  nim: "addr and as asm bind block break case cast concept const continue converter defer discard distinct div do elif else end enum except export finally for from func if import in include interface is isnot iterator let macro method mixin mod nil not notin object of or out proc ptr raise ref return shl shr static template try tuple type using var when while xor yield echo readLine stdin seq string int float bool",
  crystal:
    "abstract alias annotation as begin break case class def do else elsif end ensure enum extend false for fun if in include lib macro module next nil of out private protected require rescue return self struct super then true type typeof union unless until when while with yield puts gets p pp property getter setter",
  swift:
    "associatedtype class deinit enum extension fileprivate func import init inout internal let open operator private protocol public rethrows static struct subscript typealias var break case continue default defer do else fallthrough for guard if in repeat return switch where while as catch false is nil self Self super throw throws true try async await print readLine String Int Double Array Dictionary",
  vala: "abstract as async base bool break case catch char class const construct continue default delegate delete do double else ensures enum errordomain false finally float for foreach get if in int interface internal is lock namespace new null out override owned private protected public ref requires return set signal sizeof static string struct switch this throw throws true try typeof uint unowned using var virtual void weak while yield print stdout.printf stdin.read_line",
  forth:
    "cr emit type if else then begin until while repeat again do loop +loop i j leave variable constant value to create does> allot cells here dup drop swap over rot nip tuck 2dup 2drop mod /mod and or xor invert recurse exit bye",
  r: "if else repeat while function for in next break TRUE FALSE NULL Inf NaN NA return library require print cat paste paste0 c list vector matrix data.frame length seq rep sum mean apply sapply lapply",
  octave:
    "break case catch continue do else elseif end end_try_catch endfor endfunction endif endswitch endwhile for function global if otherwise persistent return switch try until unwind_protect while disp printf fprintf sprintf zeros ones size length numel linspace plot",
  tcl: "after append array break catch close concat continue dict else elseif eval exec expr for foreach format gets global if incr info join lappend lindex list llength lrange lsort namespace proc puts regexp regsub return set split string switch unset upvar variable while",
  awk: "BEGIN END function if else while for do break continue next nextfile exit return delete in getline print printf length substr index split sub gsub match sprintf tolower toupper int system NR NF FS OFS RS ORS FILENAME",
  coffeescript:
    "and break by catch class continue debugger delete do else extends false finally for if in instanceof is isnt loop new no not null of off on or return super switch then this throw true try typeof undefined unless until when while yes yield console.log",
  basic:
    "print input if then else elsif endif fi for to step next while wend repeat until do loop break continue sub end export local static return gosub goto label dim and or not mod len left$ right$ mid$ str$ val chr$ asc int rnd",
  hy: "defn defmacro defclass fn let setv if when cond do for while break continue import require return yield try except finally raise with lambda and or not in is print None True False",
  bc: "define auto if else while for break continue return quit halt print read length scale sqrt ibase obase last",
  groovy:
    "abstract as assert boolean break byte case catch char class const continue def default do double else enum extends false final finally float for goto if implements import in instanceof int interface long native new null package private protected public return short static super switch synchronized this throw throws trait true try void volatile while println each collect",
  scala:
    "abstract case catch class def do else extends false final finally for forSome if implicit import lazy match new null object override package private protected return sealed super this throw trait try true type val var while with yield given using enum then println List Map Option Some None",
};
