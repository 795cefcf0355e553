#!/usr/bin/env bash
# Smoke-checks the runtime images (deploy/scripts/build-images.sh): every tool prints its version,
# and every compiled toolchain compiles and runs a hello world, in /tmp, as a sandbox would run it:
# no network, read-only root, empty tmpfs /work ($HOME) and /tmp, user CRH_CHECK_UID (default
# 65534; the executor uses other uids with no passwd entry). Prints one line per check: runtime, check, compile ms, run ms (both timed
# inside the container), result and the first lines of output. Arguments: only these runtimes.
# Exits non-zero when a check fails.
set -uo pipefail
PREFIX=${CRH_IMAGE_PREFIX:-coderunhub/runtime-}
TAG=${CRH_IMAGE_TAG:-latest}
only=" $* "
USER_ID=${CRH_CHECK_UID:-65534}
RUN=(docker run --rm -i --network none --read-only --user "$USER_ID:$USER_ID"
  --tmpfs /tmp:rw,exec,nosuid,nodev,mode=1777 --tmpfs /work:rw,exec,nosuid,nodev,mode=1777)
failed=0

# In the container: the source (stdin) into /tmp/$F, then $C (compile) and $R (run), each timed.
inner='cd /tmp || exit 9
ms() { echo $(( $(date +%s%N) / 1000000 )); }
[ -z "$F" ] || cat > "$F"
if [ -n "$C" ]; then
  s=$(ms); sh -c "$C" > /tmp/.compile.out 2>&1; rc=$?; e=$(ms)
  cat /tmp/.compile.out; echo "@@compile $((e - s)) $rc"
  [ $rc = 0 ] || exit 1
fi
s=$(ms); sh -c "$R" 2>&1; rc=$?; e=$(ms); echo "@@run $((e - s)) $rc"'

# check RUNTIME LABEL EXPECT FILE COMPILE RUN  (source on stdin when FILE is set)
check() {
  local runtime=$1 label=$2 expect=$3 file=$4 compile=$5 run=$6 out cms=- rms=- status=ok
  [ "$only" = "  " ] || [[ "$only" == *" $runtime "* ]] || { [ -z "$file" ] || cat >/dev/null; return 0; }
  if [ -n "$file" ]; then
    out=$("${RUN[@]}" -e F="$file" -e C="$compile" -e R="$run" "$PREFIX$runtime:$TAG" sh -c "$inner" 2>&1)
  else
    out=$("${RUN[@]}" -e F= -e C= -e R="$run" "$PREFIX$runtime:$TAG" sh -c "$inner" </dev/null 2>&1)
  fi
  local line
  line=$(grep '^@@compile ' <<<"$out") && { cms=$(cut -d' ' -f2 <<<"$line"); [ "$(cut -d' ' -f3 <<<"$line")" = 0 ] || status=FAIL; }
  line=$(grep '^@@run ' <<<"$out") && { rms=$(cut -d' ' -f2 <<<"$line"); [ "$(cut -d' ' -f3 <<<"$line")" = 0 ] || status=FAIL; } || status=FAIL
  local text
  text=$(grep -v '^@@' <<<"$out")
  if [ -n "$expect" ] && ! grep -qE -- "$expect" <<<"$text"; then status=FAIL; fi
  [ $status = ok ] || failed=1
  printf '%-12s %-16s %7s %7s %-4s %s\n' "$runtime" "$label" "$cms" "$rms" "$status" \
    "$(grep -v '^[[:space:]]*$' <<<"$text" | head -n "${LINES_SHOWN:-2}" | tr '\n' '|' | cut -c1-200)"
}
version() { check "$1" "$2" "$3" "" "" "$4"; }
HELLO='Hello, World!'
printf '%-12s %-16s %7s %7s %-4s %s\n' runtime check compile run ok output

# ---- bookworm ----
version base bash 'version' 'bash --version'
version python python3 'Python 3\.11' 'python3 --version'
check python numpy+pandas '^2$' "" "" "python3 -c 'import numpy, pandas; print(pandas.Series(numpy.arange(3)).max())'"
version node node '^v18\.' 'node --version'
check node hello "$HELLO" hello.js "" "node hello.js" <<<'console.log("Hello, World!");'
version gcc gcc '^12\.' 'gcc -dumpfullversion'
version gcc gfortran '^12\.' 'gfortran -dumpfullversion'
check gcc c "$HELLO" hello.c "gcc -O2 -o hello hello.c" "./hello" <<<'#include <stdio.h>
int main(void) { puts("Hello, World!"); return 0; }'
check gcc c++boost 'HELLO, WORLD!' hello.cpp "g++ -O2 -o hello hello.cpp" "./hello" <<'EOF'
#include <boost/algorithm/string.hpp>
#include <iostream>
#include <string>
int main() { std::string s = "Hello, World!"; boost::to_upper(s); std::cout << s << "\n"; }
EOF
check gcc fortran "$HELLO" hello.f90 "gfortran -O2 -o hello hello.f90" "./hello" <<'EOF'
program hello
  print '(a)', 'Hello, World!'
end program hello
EOF
version go go 'go1\.19' 'go version'
check go hello "$HELLO" hello.go "go build -o hello hello.go" "./hello" <<'EOF'
package main

import "fmt"

func main() { fmt.Println("Hello, World!") }
EOF
version java javac 'javac 17\.' 'javac -version'
check java hello "$HELLO" Main.java "javac Main.java" "java Main" <<<'public class Main { public static void main(String[] args) { System.out.println("Hello, World!"); } }'
version kotlin kotlinc 'kotlinc' 'kotlinc -version'
check kotlin hello "$HELLO" hello.kt "kotlinc hello.kt -include-runtime -d hello.jar" "java -jar hello.jar" <<<'fun main() { println("Hello, World!") }'
version rust rustc 'rustc 1\.63' 'rustc --version'
check rust hello "$HELLO" hello.rs "rustc -O -o hello hello.rs" "./hello" <<<'fn main() { println!("Hello, World!"); }'
version ruby ruby 'ruby 3\.1' 'ruby -v'
version php php 'PHP 8\.2' 'php -v'
version nim nim 'Nim Compiler' 'nim --version'
check nim hello "$HELLO" hello.nim "nim c --hints:off --nimcache:/tmp/nimcache -o:hello hello.nim" "./hello" <<<'echo "Hello, World!"'
version forth gforth 'gforth' 'gforth --version'
check forth hello "$HELLO" "" "" "gforth -e '.( Hello, World!) cr bye'"

# ---- trixie ----
version trixie-base bash 'version 5\.2' 'bash --version'
version trixie-base gawk 'GNU Awk' 'gawk --version'
version trixie-base bc 'bc 1\.' 'bc --version'
version trixie-base sqlite3 '^3\.' 'sqlite3 --version'
version trixie-base tclsh '^8\.6' "echo 'puts [info patchlevel]' | tclsh"
version trixie-base lua5.4 'Lua 5\.4' 'lua5.4 -v'
version trixie-base luajit 'LuaJIT' 'luajit -v'
version trixie-base yabasic 'yabasic' 'yabasic --version'
version trixie-base perl 'v5\.40' 'perl -v'
version trixie-python python3 'Python 3\.13' 'python3 --version'
check trixie-python scipy+sympy+mpl 'ok' "" "" "python3 -c 'import numpy, pandas, scipy, sympy, matplotlib; matplotlib.use(\"Agg\"); import matplotlib.pyplot; print(\"ok\", numpy.__version__, pandas.__version__, scipy.__version__, sympy.__version__, matplotlib.__version__)'"
version trixie-python hy '^hy ' 'hy --version'
check trixie-python hy-hello "$HELLO" hello.hy "" "hy hello.hy" <<<'(print "Hello, World!")'
version pypy pypy3 'PyPy' 'pypy3 --version'
check pypy hello "$HELLO" hello.py "" "pypy3 hello.py" <<<'print("Hello, World!")'
version trixie-gcc gcc '^14\.' 'gcc -dumpfullversion'
version trixie-gcc tcc 'tcc version' 'tcc -v'
version trixie-gcc nasm 'NASM version' 'nasm -v'
version trixie-gcc cobc 'cobc' 'cobc --version'
check trixie-gcc c "$HELLO" hello.c "gcc -O2 -o hello hello.c" "./hello" <<<'#include <stdio.h>
int main(void) { puts("Hello, World!"); return 0; }'
check trixie-gcc c-tcc "$HELLO" hello.c "tcc -o hello hello.c" "./hello" <<<'#include <stdio.h>
int main(void) { puts("Hello, World!"); return 0; }'
check trixie-gcc c-tcc-run "$HELLO" hello.c "" "tcc -run hello.c" <<<'#include <stdio.h>
int main(void) { puts("Hello, World!"); return 0; }'
check trixie-gcc c++boost 'HELLO, WORLD!' hello.cpp "g++ -O2 -o hello hello.cpp" "./hello" <<'EOF'
#include <boost/algorithm/string.hpp>
#include <iostream>
#include <string>
int main() { std::string s = "Hello, World!"; boost::to_upper(s); std::cout << s << "\n"; }
EOF
check trixie-gcc fortran "$HELLO" hello.f90 "gfortran -O2 -o hello hello.f90" "./hello" <<'EOF'
program hello
  print '(a)', 'Hello, World!'
end program hello
EOF
check trixie-gcc objc "$HELLO" hello.m "gcc -x objective-c -O2 -o hello hello.m -lobjc" "./hello" <<'EOF'
#import <objc/Object.h>
#include <stdio.h>
@interface Greeter : Object
+ (void) greet;
@end
@implementation Greeter
+ (void) greet { printf("Hello, World!\n"); }
@end
int main(void) { [Greeter greet]; return 0; }
EOF
check trixie-gcc cobol "$HELLO" hello.cob "cobc -x -o hello hello.cob" "./hello" <<'EOF'
       IDENTIFICATION DIVISION.
       PROGRAM-ID. HELLO.
       PROCEDURE DIVISION.
           DISPLAY "Hello, World!".
           STOP RUN.
EOF
check trixie-gcc nasm "$HELLO" hello.asm "nasm -f elf64 -o hello.o hello.asm && ld -o hello hello.o" "./hello" <<'EOF'
global _start
section .data
msg: db "Hello, World!", 10
len: equ $ - msg
section .text
_start:
    mov rax, 1
    mov rdi, 1
    mov rsi, msg
    mov rdx, len
    syscall
    mov rax, 60
    xor rdi, rdi
    syscall
EOF
version clang clang 'clang version 19' 'clang --version'
check clang c "$HELLO" hello.c "clang -O2 -o hello hello.c" "./hello" <<<'#include <stdio.h>
int main(void) { puts("Hello, World!"); return 0; }'
check clang c++boost 'HELLO, WORLD!' hello.cpp "clang++ -O2 -o hello hello.cpp" "./hello" <<'EOF'
#include <boost/algorithm/string.hpp>
#include <iostream>
#include <string>
int main() { std::string s = "Hello, World!"; boost::to_upper(s); std::cout << s << "\n"; }
EOF
version ada gnatmake 'GNATMAKE 14' 'gnatmake --version'
check ada hello "$HELLO" hello.adb "gnatmake -q hello.adb" "./hello" <<'EOF'
with Ada.Text_IO;
procedure Hello is
begin
   Ada.Text_IO.Put_Line ("Hello, World!");
end Hello;
EOF
version dlang ldc2 'LDC' 'ldc2 --version'
version dlang gdc '^14\.' 'gdc -dumpfullversion'
check dlang ldc2 "$HELLO" hello.d "ldc2 -of=hello hello.d" "./hello" <<<'import std.stdio; void main() { writeln("Hello, World!"); }'
check dlang gdc "$HELLO" hello.d "gdc -O2 -o hello hello.d" "./hello" <<<'import std.stdio; void main() { writeln("Hello, World!"); }'
version pascal fpc '^3\.2' 'fpc -iV'
check pascal hello "$HELLO" hello.pas "fpc -O2 hello.pas" "./hello" <<<"program Hello; begin writeln('Hello, World!'); end."
for j in java21:21 java25:25; do
  version "${j%%:*}" javac "javac ${j#*:}" 'javac -version'
  check "${j%%:*}" hello "$HELLO" Main.java "javac Main.java" "java Main" <<<'public class Main { public static void main(String[] args) { System.out.println("Hello, World!"); } }'
  check "${j%%:*}" source-launch "$HELLO" Main.java "" "java Main.java" <<<'public class Main { public static void main(String[] args) { System.out.println("Hello, World!"); } }'
done
version jvm-langs javac 'javac 21' 'javac -version'
version jvm-langs groovy 'Groovy Version' 'groovy --version'
version jvm-langs scala 'Scala' 'scala -version'
version jvm-langs clojure '^1\.12' "clojure -e '(println (clojure-version))'"
check jvm-langs groovy "$HELLO" hello.groovy "" "groovy hello.groovy" <<<'println "Hello, World!"'
check jvm-langs scala "$HELLO" hello.scala "scalac -d /tmp hello.scala" "scala -cp /tmp Hello" <<<'object Hello { def main(args: Array[String]): Unit = println("Hello, World!") }'
check jvm-langs clojure "$HELLO" hello.clj "" "clojure hello.clj" <<<'(println "Hello, World!")'
version trixie-go go 'go1\.24' 'go version'
check trixie-go hello "$HELLO" hello.go "go build -o hello hello.go" "./hello" <<'EOF'
package main

import "fmt"

func main() { fmt.Println("Hello, World!") }
EOF
version trixie-rust rustc 'rustc 1\.85' 'rustc --version'
check trixie-rust hello "$HELLO" hello.rs "rustc -O -o hello hello.rs" "./hello" <<<'fn main() { println!("Hello, World!"); }'
version trixie-node node '^v20\.' 'node --version'
version trixie-node tsc 'Version 7\.0\.2' 'tsc --version'
version trixie-node tsc5 'Version 5\.9\.3' 'tsc5 --version'
version trixie-node coffee 'CoffeeScript' 'coffee --version'
check trixie-node ts7 "$HELLO" hello.ts "tsc hello.ts" "node hello.js" <<<'const message: string = "Hello, World!"; console.log(message);'
check trixie-node ts5 "$HELLO" hello.ts "tsc5 hello.ts" "node hello.js" <<<'const message: string = "Hello, World!"; console.log(message);'
check trixie-node coffee "$HELLO" hello.coffee "" "coffee hello.coffee" <<<'console.log "Hello, World!"'
version trixie-php php 'PHP 8\.4' 'php -v'
version trixie-ruby ruby 'ruby 3\.3' 'ruby -v'
version haskell ghc '^9\.6' 'ghc --numeric-version'
check haskell hello "$HELLO" hello.hs "ghc -O -o hello hello.hs" "./hello" <<<'main = putStrLn "Hello, World!"'
version mono mcs 'Mono C# compiler' 'mcs --version'
check mono hello "$HELLO" hello.cs "mcs -out:hello.exe hello.cs" "mono hello.exe" <<<'class Hello { static void Main() { System.Console.WriteLine("Hello, World!"); } }'
version beam elixir 'Elixir 1\.18' 'elixir --version'
version beam erl '^27' "erl -noshell -eval 'io:fwrite(\"~s~n\",[erlang:system_info(otp_release)]),halt().'"
check beam elixir "$HELLO" hello.exs "" "elixir hello.exs" <<<'IO.puts "Hello, World!"'
check beam erlang "$HELLO" hello.erl "erlc hello.erl" "erl -noshell -s hello main -s init stop" <<<'-module(hello).
-export([main/0]).
main() -> io:fwrite("Hello, World!~n").'
version ocaml ocaml '5\.3' 'ocaml -version'
check ocaml ocamlopt "$HELLO" hello.ml "ocamlopt -o hello hello.ml" "./hello" <<<'let () = print_endline "Hello, World!"'
version lisp sbcl 'SBCL 2\.5' 'sbcl --version'
version lisp racket 'Racket v8' 'racket --version'
version lisp chezscheme '^10' 'chezscheme --version'
version lisp guile 'guile \(GNU Guile\) 3' 'guile --version'
check lisp sbcl "$HELLO" hello.lisp "" "sbcl --script hello.lisp" <<<'(write-line "Hello, World!")'
check lisp racket "$HELLO" hello.rkt "" "racket hello.rkt" <<<'#lang racket/base
(displayln "Hello, World!")'
check lisp chezscheme "$HELLO" hello.ss "" "chezscheme --script hello.ss" <<<'(display "Hello, World!") (newline)'
check lisp guile "$HELLO" hello.scm "" "guile --no-auto-compile hello.scm" <<<'(display "Hello, World!") (newline)'
version r R 'R version 4\.5' 'R --version'
check r Rscript "$HELLO" hello.R "" "Rscript hello.R" <<<'cat("Hello, World!\n")'
version crystal crystal 'Crystal 1\.14' 'crystal --version'
check crystal hello "$HELLO" hello.cr "crystal build -o hello hello.cr" "./hello" <<<'puts "Hello, World!"'
version swift swift 'Swift version 6' 'swiftc --version'
check swift hello "$HELLO" hello.swift "swiftc -o hello hello.swift" "./hello" <<<'print("Hello, World!")'
check swift foundation "$HELLO" hello.swift "swiftc -O -o hello hello.swift" "./hello" <<<'import Foundation
print(String(format: "%@, %@!", "Hello", "World"))'
version octave octave-cli 'version 9' 'octave-cli --version'
check octave hello "$HELLO" hello.m "" "octave-cli --no-gui --quiet hello.m" <<<'disp("Hello, World!")'
version prolog swipl 'SWI-Prolog version 9' 'swipl --version'
version prolog gprolog 'GNU Prolog\) 1\.4' 'gprolog --version'
check prolog swipl "$HELLO" hello.pl "" "swipl hello.pl" <<<':- initialization(main, main).
main :- write("Hello, World!"), nl.'
check prolog gplc "$HELLO" hello.pl "gplc --no-top-level -o hello hello.pl" "./hello" <<'EOF'
:- initialization(main).
main :- write('Hello, World!'), nl.
EOF
check prolog gprolog "$HELLO" hello.pl "" "gprolog --init-goal \"consult('hello.pl'),halt\" 2>/dev/null" <<'EOF'
:- initialization(main).
main :- write('Hello, World!'), nl.
EOF
version vala valac 'Vala 0\.56' 'valac --version'
check vala hello "$HELLO" hello.vala "valac -o hello hello.vala" "./hello" <<<'void main () { print ("Hello, World!\n"); }'
exit $failed
