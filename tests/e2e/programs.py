"""Four programs per language: hello world, stdin echo, a compilation (or syntax) error and a
runtime error. Every language in the catalogue must appear here (a test checks it)."""

from __future__ import annotations

from typing import NamedTuple


class Programs(NamedTuple):
    hello: str
    echo: str
    error: str
    crash: str


STDIN = "first line\nsecond — ünïcode line\n"
EXPECTED_ECHO = "echo: first line\necho: second — ünïcode line\n"

# bc reads numbers, never text (read() parses a number, and at the end of input it keeps trying):
# its echo reads a count, then that many numbers.
ECHO_IO: dict[str, tuple[str, str]] = {"bc": ("3\n1\n22\n-3.5\n", "echo: 1\necho: 22\necho: -3.5\n")}

# Nothing in a plain text can fail: it is output as it is, whatever it holds. Its "error" and
# "crash" programs are texts that look like failures; they must come out unchanged, verdict ok.
CANNOT_FAIL = frozenset({"plaintext"})


def echo_io(language: str) -> tuple[str, str]:
    """The echo program's standard input and expected output."""
    return ECHO_IO.get(language, (STDIN, EXPECTED_ECHO))


PROGRAMS: dict[str, Programs] = {
    "python": Programs(
        hello='print("Hello, world!")',
        echo="import sys\nfor line in sys.stdin:\n    print('echo:', line.rstrip())",
        error="print('unclosed'",
        crash="raise ValueError('boom')",
    ),
    "javascript": Programs(
        hello='console.log("Hello, world!");',
        echo=(
            "const lines = require('fs').readFileSync(0, 'utf8').split('\\n').filter(Boolean);\n"
            "for (const l of lines) console.log('echo: ' + l);"
        ),
        error="console.log('unclosed'",
        crash="throw new Error('boom');",
    ),
    "typescript": Programs(
        hello='const greeting: string = "Hello, world!";\nconsole.log(greeting);',
        echo=(
            "const lines: string[] = require('fs').readFileSync(0, 'utf8').split('\\n')"
            ".filter((l: string) => l.length > 0);\nfor (const l of lines) console.log('echo: ' + l);"
        ),
        error='const n: number = "not a number";\nconsole.log(n);',
        crash='throw new Error("boom");',
    ),
    "c": Programs(
        hello='#include <stdio.h>\nint main(void) { puts("Hello, world!"); return 0; }',
        echo=(
            "#include <stdio.h>\n#include <string.h>\n"
            'int main(void) { char b[256]; while (fgets(b, sizeof b, stdin)) { b[strcspn(b, "\\n")] = 0;'
            ' printf("echo: %s\\n", b); } return 0; }'
        ),
        error="int main(void) { return undefined_name; }",
        crash='#include <stdio.h>\n#include <stdlib.h>\nint main(void) { fputs("failing\\n", stderr); abort(); }',
    ),
    "cpp": Programs(
        hello='#include <iostream>\nint main() { std::cout << "Hello, world!" << std::endl; }',
        echo=(
            "#include <iostream>\n#include <string>\n"
            'int main() { std::string l; while (std::getline(std::cin, l)) std::cout << "echo: " << l << "\\n"; }'
        ),
        error="int main() { return undefined_name; }",
        crash='#include <stdexcept>\nint main() { throw std::runtime_error("boom"); }',
    ),
    "fortran": Programs(
        hello="program hello\n  print '(A)', 'Hello, world!'\nend program hello",
        echo=(
            "program echo\n  implicit none\n  character(len=1024) :: line\n  integer :: ios\n  do\n"
            "    read(*, '(A)', iostat=ios) line\n    if (ios /= 0) exit\n"
            "    print '(A)', 'echo: ' // trim(line)\n  end do\nend program echo"
        ),
        error="program bad\n  integer :: x\n  x = \nend program bad",
        crash="program boom\n  error stop 3\nend program boom",
    ),
    "go": Programs(
        hello='package main\nimport "fmt"\nfunc main() { fmt.Println("Hello, world!") }',
        echo=(
            'package main\nimport ("bufio"; "fmt"; "os")\n'
            'func main() { s := bufio.NewScanner(os.Stdin); for s.Scan() { fmt.Println("echo:", s.Text()) } }'
        ),
        error="package main\nfunc main() { undefinedName() }",
        crash='package main\nfunc main() { panic("boom") }',
    ),
    "java": Programs(
        hello='public class Main { public static void main(String[] a) { System.out.println("Hello, world!"); } }',
        echo=(
            "import java.io.*;\npublic class Main { public static void main(String[] a) throws IOException {"
            " BufferedReader r = new BufferedReader(new InputStreamReader(System.in)); String l;"
            ' while ((l = r.readLine()) != null) System.out.println("echo: " + l); } }'
        ),
        error='public class Main { public static void main(String[] a) { int x = "s"; } }',
        crash='public class Main { public static void main(String[] a) { throw new RuntimeException("boom"); } }',
    ),
    "kotlin": Programs(
        hello='fun main() { println("Hello, world!") }',
        echo='fun main() {\n    while (true) {\n        val line = readLine() ?: break\n        println("echo: $line")\n    }\n}',
        error='fun main() { val x: Int = "s" }',
        crash='fun main() { throw IllegalStateException("boom") }',
    ),
    "csharp": Programs(
        hello='using System;\nclass Program { static void Main() { Console.WriteLine("Hello, world!"); } }',
        echo=(
            "using System;\nclass Program { static void Main() { string line;"
            ' while ((line = Console.ReadLine()) != null) Console.WriteLine("echo: " + line); } }'
        ),
        error='class Program { static void Main() { int x = "s"; } }',
        crash='using System;\nclass Program { static void Main() { throw new InvalidOperationException("boom"); } }',
    ),
    "rust": Programs(
        hello='fn main() { println!("Hello, world!"); }',
        echo=(
            "use std::io::BufRead;\n"
            'fn main() { for l in std::io::stdin().lock().lines() { println!("echo: {}", l.unwrap()); } }'
        ),
        error='fn main() { let x: i32 = "s"; }',
        crash='fn main() { panic!("boom"); }',
    ),
    "haskell": Programs(
        hello='main :: IO ()\nmain = putStrLn "Hello, world!"',
        echo='main :: IO ()\nmain = interact $ unlines . map ("echo: " ++) . lines',
        error="main :: IO ()\nmain = putStrLn (1 :: Int)",
        crash='main :: IO ()\nmain = error "boom"',
    ),
    "ruby": Programs(
        hello='puts "Hello, world!"',
        echo='STDIN.each_line { |l| puts "echo: #{l.chomp}" }',
        error='puts "unclosed',
        crash='raise "boom"',
    ),
    "php": Programs(
        hello='<?php echo "Hello, world!\\n";',
        echo='<?php while (($l = fgets(STDIN)) !== false) { echo "echo: " . rtrim($l, "\\n") . "\\n"; }',
        error="<?php if ( { }",
        crash='<?php throw new Exception("boom");',
    ),
    "perl": Programs(
        hello='print "Hello, world!\\n";',
        echo='while (my $l = <STDIN>) { chomp $l; print "echo: $l\\n"; }',
        error="my $x = ;",
        crash='die "boom\\n";',
    ),
    "lua": Programs(
        hello='print("Hello, world!")',
        echo='for line in io.lines() do print("echo: " .. line) end',
        error='print("unclosed"',
        crash='error("boom")',
    ),
    "bash": Programs(
        hello='echo "Hello, world!"',
        echo='while IFS= read -r line; do echo "echo: $line"; done',
        error="if then fi",
        crash="echo start\nexit 3",
    ),
    "sql": Programs(
        hello="SELECT 'Hello, world!';",
        echo="CREATE TABLE input(line TEXT);\n.import /dev/stdin input\nSELECT 'echo: ' || line FROM input ORDER BY rowid;",
        error="SELEC 1;",
        crash="SELECT abs(-9223372036854775807 - 1);",
    ),
    # Functional and logic languages (shared/languages/families/functional.py).
    "elixir": Programs(
        hello='IO.puts("Hello, world!")',
        echo='IO.stream(:stdio, :line)\n|> Enum.each(fn line -> IO.puts("echo: " <> String.trim_trailing(line, "\\n")) end)',
        error='IO.puts("unclosed"',
        crash='raise "boom"',
    ),
    "erlang": Programs(
        hello='-module(main).\n-export([main/1]).\n\nmain(_) -> io:format("Hello, world!~n").',
        echo=(
            "-module(main).\n-export([main/1]).\n\nmain(_) -> loop().\n\nloop() ->\n"
            '    case io:get_line("") of\n        eof -> ok;\n'
            '        Line -> io:format("echo: ~ts~n", [string:trim(Line, trailing, "\\n")]), loop()\n    end.'
        ),
        error='-module(main).\n-export([main/1]).\n\nmain(_) -> io:format("unclosed).',
        crash="-module(main).\n-export([main/1]).\n\nmain(_) -> erlang:error(boom).",
    ),
    "ocaml": Programs(
        hello='let () = print_endline "Hello, world!"',
        echo='let () =\n  try\n    while true do\n      Printf.printf "echo: %s\\n" (input_line stdin)\n    done\n'
        "  with End_of_file -> ()",
        error="let () = print_endline 42",
        crash='let () = failwith "boom"',
    ),
    "clojure": Programs(
        hello='(println "Hello, world!")',
        echo='(doseq [line (line-seq (java.io.BufferedReader. *in*))]\n  (println (str "echo: " line)))',
        error='(println "unclosed"',
        crash='(throw (Exception. "boom"))',
    ),
    "commonlisp": Programs(
        hello='(format t "Hello, world!~%")',
        echo='(loop for line = (read-line *standard-input* nil)\n      while line\n      do (format t "echo: ~a~%" line))',
        error='(format t "unclosed"',
        crash='(error "boom")',
    ),
    "racket": Programs(
        hello='#lang racket/base\n(displayln "Hello, world!")',
        echo='#lang racket/base\n(for ([line (in-lines)])\n  (printf "echo: ~a\\n" line))',
        error='#lang racket/base\n(displayln "unclosed"',
        crash='#lang racket/base\n(error \'main "boom")',
    ),
    # R5RS only (read-char), so that the same programs run on Guile and Chez.
    "scheme": Programs(
        hello='(display "Hello, world!")\n(newline)',
        echo=(
            "(define (next-line)\n  (let loop ((chars '()))\n    (let ((c (read-char)))\n"
            "      (cond ((eof-object? c) (if (null? chars) c (list->string (reverse chars))))\n"
            "            ((char=? c #\\newline) (list->string (reverse chars)))\n"
            "            (else (loop (cons c chars)))))))\n"
            "(let loop ((line (next-line)))\n  (if (not (eof-object? line))\n"
            '      (begin (display "echo: ") (display line) (newline) (loop (next-line)))))'
        ),
        error='(display "unclosed"',
        crash='(error \'main "boom")',
    ),
    # ISO Prolog (get_char), so that the same programs run on SWI-Prolog and GNU Prolog.
    "prolog": Programs(
        hello=":- initialization(main).\n\nmain :- write('Hello, world!'), nl.",
        echo=(
            ":- initialization(main).\n\n"
            "main :- read_chars(Cs), ( Cs == end_of_file -> true"
            " ; atom_chars(A, Cs), write('echo: '), write(A), nl, main ).\n\n"
            "read_chars(Cs) :- get_char(C), ( C == end_of_file -> Cs = end_of_file ; rest(C, Cs) ).\n"
            "rest('\\n', []) :- !.\nrest(end_of_file, []) :- !.\nrest(C, [C|Cs]) :- get_char(C2), rest(C2, Cs)."
        ),
        error=":- initialization(main).\n\nmain :- write('unclosed), nl.",
        crash=":- initialization(main).\n\nmain :- X is 1 / 0, write(X), nl.",
    ),
    # Native code, and Forth (shared/languages/families/systems.py).
    "pascal": Programs(
        hello="program main;\nbegin\n  writeln('Hello, world!');\nend.",
        echo=(
            "program main;\n{$H+}\nvar line: string;\nbegin\n  while not eof do\n  begin\n    readln(line);\n"
            "    writeln('echo: ', line);\n  end;\nend."
        ),
        error="program main;\nbegin\n  writeln(undefined_name);\nend.",
        crash="program main;\nvar zero: integer;\nbegin\n  zero := 0;\n  writeln(10 div zero);\nend.",
    ),
    "ada": Programs(
        hello='with Ada.Text_IO;\n\nprocedure Main is\nbegin\n   Ada.Text_IO.Put_Line ("Hello, world!");\nend Main;',
        echo=(
            "with Ada.Text_IO; use Ada.Text_IO;\n\nprocedure Main is\nbegin\n   while not End_Of_File loop\n"
            '      Put_Line ("echo: " & Get_Line);\n   end loop;\nend Main;'
        ),
        error="procedure Main is\nbegin\n   Undefined_Name;\nend Main;",
        crash='procedure Main is\nbegin\n   raise Program_Error with "boom";\nend Main;',
    ),
    "d": Programs(
        hello='import std.stdio;\n\nvoid main() { writeln("Hello, world!"); }',
        echo='import std.stdio;\n\nvoid main() { foreach (line; stdin.byLine) writeln("echo: ", line); }',
        error='void main() { int x = "s"; }',
        crash='void main() { throw new Exception("boom"); }',
    ),
    "assembly": Programs(
        hello=(
            'section .data\nmsg: db "Hello, world!", 10\nlen: equ $ - msg\n\nsection .text\nglobal _start\n'
            "_start:\n    mov eax, 1\n    mov edi, 1\n    lea rsi, [rel msg]\n    mov edx, len\n    syscall\n"
            "    mov eax, 60\n    xor edi, edi\n    syscall"
        ),
        # Copies stdin to stdout, "echo: " before each line.
        echo=(
            'section .bss\ninbuf: resb 4096\noutbuf: resb 32768\n\nsection .data\nprefix: db "echo: "\n'
            "plen: equ $ - prefix\n\nsection .text\nglobal _start\n_start:\n    mov r12d, 1\n"
            ".read:\n    xor eax, eax\n    xor edi, edi\n    lea rsi, [rel inbuf]\n    mov edx, 4096\n    syscall\n"
            "    test rax, rax\n    jle .done\n    mov rcx, rax\n    lea rsi, [rel inbuf]\n    lea rdi, [rel outbuf]\n"
            ".byte:\n    test r12d, r12d\n    jz .copy\n    push rcx\n    push rsi\n    lea rsi, [rel prefix]\n"
            "    mov ecx, plen\n    rep movsb\n    pop rsi\n    pop rcx\n    xor r12d, r12d\n"
            ".copy:\n    mov al, [rsi]\n    mov [rdi], al\n    inc rsi\n    inc rdi\n    cmp al, 10\n    jne .next\n"
            "    mov r12d, 1\n.next:\n    dec rcx\n    jnz .byte\n    lea rsi, [rel outbuf]\n    mov rdx, rdi\n"
            "    sub rdx, rsi\n    mov eax, 1\n    mov edi, 1\n    syscall\n    jmp .read\n"
            ".done:\n    mov eax, 60\n    xor edi, edi\n    syscall"
        ),
        error="section .text\nglobal _start\n_start:\n    movx eax, 1",
        # Says so on stderr, then writes to address 0 (SIGSEGV).
        crash=(
            'section .data\nmsg: db "failing", 10\n\nsection .text\nglobal _start\n_start:\n    mov eax, 1\n'
            "    mov edi, 2\n    lea rsi, [rel msg]\n    mov edx, 8\n    syscall\n    mov qword [0], 1"
        ),
    ),
    "objectivec": Programs(
        hello=(
            "#import <objc/Object.h>\n#include <stdio.h>\n\n@interface Greeter : Object\n+ (void)greet;\n@end\n\n"
            '@implementation Greeter\n+ (void)greet { puts("Hello, world!"); }\n@end\n\n'
            "int main(void) {\n    [Greeter greet];\n    return 0;\n}"
        ),
        echo=(
            "#include <stdio.h>\n#include <string.h>\n\nint main(void) {\n    char b[256];\n"
            '    while (fgets(b, sizeof b, stdin)) {\n        b[strcspn(b, "\\n")] = 0;\n'
            '        printf("echo: %s\\n", b);\n    }\n    return 0;\n}'
        ),
        error="@interface Broken : Undeclared\n@end\n\nint main(void) { return 0; }",
        crash='#include <stdio.h>\n#include <stdlib.h>\n\nint main(void) { fputs("failing\\n", stderr); abort(); }',
    ),
    # Fixed format: code from column 8.
    "cobol": Programs(
        hello=(
            "       IDENTIFICATION DIVISION.\n       PROGRAM-ID. MAIN.\n       PROCEDURE DIVISION.\n"
            '           DISPLAY "Hello, world!".\n           STOP RUN.'
        ),
        echo=(
            "       IDENTIFICATION DIVISION.\n       PROGRAM-ID. MAIN.\n       DATA DIVISION.\n"
            "       WORKING-STORAGE SECTION.\n       01 WS-LINE PIC X(256).\n"
            '       01 WS-EOF PIC X VALUE "N".\n       PROCEDURE DIVISION.\n'
            '           PERFORM UNTIL WS-EOF = "Y"\n               ACCEPT WS-LINE\n'
            '                   ON EXCEPTION MOVE "Y" TO WS-EOF\n                   NOT ON EXCEPTION\n'
            '                       DISPLAY "echo: " FUNCTION TRIM(WS-LINE TRAILING)\n'
            "               END-ACCEPT\n           END-PERFORM.\n           STOP RUN."
        ),
        error=(
            "       IDENTIFICATION DIVISION.\n       PROGRAM-ID. MAIN.\n       PROCEDURE DIVISION.\n"
            "           DISPLAY UNDEFINED-NAME.\n           STOP RUN."
        ),
        # A program that is not there: libcob's run-time error.
        crash=(
            "       IDENTIFICATION DIVISION.\n       PROGRAM-ID. MAIN.\n       PROCEDURE DIVISION.\n"
            '           CALL "MISSING-PROGRAM".\n           STOP RUN.'
        ),
    ),
    "nim": Programs(
        hello='echo "Hello, world!"',
        echo='for line in stdin.lines:\n  echo "echo: ", line',
        error='let x: int = "s"',
        crash='raise newException(ValueError, "boom")',
    ),
    "crystal": Programs(
        hello='puts "Hello, world!"',
        echo='STDIN.each_line { |line| puts "echo: #{line}" }',
        error='x : Int32 = "s"',
        crash='raise "boom"',
    ),
    "swift": Programs(
        hello='print("Hello, world!")',
        echo='while let line = readLine() {\n    print("echo: \\(line)")\n}',
        error='let x: Int = "s"',
        crash='fatalError("boom")',
    ),
    "vala": Programs(
        hello='void main () {\n    print ("Hello, world!\\n");\n}',
        echo=(
            "void main () {\n    string? line;\n    while ((line = stdin.read_line ()) != null) {\n"
            '        stdout.printf ("echo: %s\\n", line);\n    }\n}'
        ),
        error='void main () {\n    int x = "s";\n}',
        crash='void main () {\n    error ("boom");\n}',
    ),
    "forth": Programs(
        hello=': main ." Hello, world!" cr ;\nmain',
        echo=(
            "create buf 256 allot\n: echo-lines\n  begin buf 256 stdin read-line throw\n"
            '  while ." echo: " buf swap type cr\n  repeat drop ;\necho-lines'
        ),
        error=": main undefined-word ;\nmain",
        crash=": main 1 0 / . ;\nmain",
    ),
    # Interpreted (shared/languages/families/dynamic.py).
    "r": Programs(
        hello='cat("Hello, world!\\n")',
        echo='con <- file("stdin")\nfor (line in readLines(con)) cat("echo: ", line, "\\n", sep = "")\nclose(con)',
        error='cat("unclosed"',
        crash='stop("boom")',
    ),
    "octave": Programs(
        hello='printf("Hello, world!\\n");',
        echo='while true\n  line = fgetl(stdin);\n  if ~ischar(line), break; end\n  printf("echo: %s\\n", line);\nend',
        error='printf("unclosed"',
        crash='error("boom");',
    ),
    "tcl": Programs(
        hello='puts "Hello, world!"',
        echo='while {[gets stdin line] >= 0} {\n    puts "echo: $line"\n}',
        error='puts "unclosed',
        crash='error "boom"',
    ),
    "awk": Programs(
        hello='BEGIN { print "Hello, world!" }',
        echo='{ print "echo: " $0 }',
        error='BEGIN { print "unclosed }',
        crash="BEGIN { zero = 0; print 1 / zero }",
    ),
    "coffeescript": Programs(
        hello='console.log "Hello, world!"',
        echo=(
            "lines = require('fs').readFileSync(0, 'utf8').split('\\n').filter Boolean\n"
            "console.log 'echo: ' + line for line in lines"
        ),
        error='console.log "unclosed',
        crash='throw new Error "boom"',
    ),
    "basic": Programs(
        hello='print "Hello, world!"',
        echo='while not eof(0)\n  line input "" l$\n  print "echo: " + l$\nwend',
        error='print "unclosed',
        crash='print "failing"\nerror "boom"',
    ),
    "hy": Programs(
        hello='(print "Hello, world!")',
        echo='(import sys)\n(for [line sys.stdin]\n  (print "echo:" (.rstrip line "\\n")))',
        error='(print "unclosed"',
        crash='(raise (ValueError "boom"))',
    ),
    "bc": Programs(
        hello='print "Hello, world!\\n"',
        echo='n = read()\nfor (i = 0; i < n; i++) {\n  x = read()\n  print "echo: ", x, "\\n"\n}',
        error="x = (1 +",
        crash='print "start\\n"\nx = 1 / 0',
    ),
    # Plain text ignores its input: the echo "program" is the expected output itself (what the
    # test checks is that UTF-8 text comes out byte for byte).
    "plaintext": Programs(
        hello="Hello, world!\n",
        echo=EXPECTED_ECHO,
        error="error: not a syntax error -- a text is printed as it is: --help -n %s \\n $HOME `id`\n",
        crash="Segmentation fault (core dumped)\nexit status 1\n",
    ),
    "groovy": Programs(
        hello='println "Hello, world!"',
        echo='System.in.eachLine { line -> println "echo: $line" }',
        error='println "unclosed',
        crash='throw new RuntimeException("boom")',
    ),
    "scala": Programs(
        hello='object Main {\n  def main(args: Array[String]): Unit = println("Hello, world!")\n}',
        echo=(
            "object Main {\n  def main(args: Array[String]): Unit =\n"
            '    for (line <- scala.io.Source.stdin.getLines()) println("echo: " + line)\n}'
        ),
        error='object Main {\n  def main(args: Array[String]): Unit = { val x: Int = "s" }\n}',
        crash='object Main {\n  def main(args: Array[String]): Unit = throw new RuntimeException("boom")\n}',
    ),
}
