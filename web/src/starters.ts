// The starter example each language opens with: a hello world. The first ten are the app's own; the
// others are the hello-world programs tests/e2e/programs.py runs in every language of the catalogue,
// so each is known to compile and run there. A language added to the server without one opens empty.
import type { Language } from "./api/client";
import type { SourceFile } from "./state";

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
  ada: "with Ada.Text_IO;\n\nprocedure Main is\nbegin\n   Ada.Text_IO.Put_Line (\"Hello, world!\");\nend Main;\n",
  assembly: "section .data\nmsg: db \"Hello, world!\", 10\nlen: equ $ - msg\n\nsection .text\nglobal _start\n_start:\n    mov eax, 1\n    mov edi, 1\n    lea rsi, [rel msg]\n    mov edx, len\n    syscall\n    mov eax, 60\n    xor edi, edi\n    syscall\n",
  awk: "BEGIN { print \"Hello, world!\" }\n",
  basic: "print \"Hello, world!\"\n",
  bc: "print \"Hello, world!\\n\"\n",
  clojure: "(println \"Hello, world!\")\n",
  cobol: "       IDENTIFICATION DIVISION.\n       PROGRAM-ID. MAIN.\n       PROCEDURE DIVISION.\n           DISPLAY \"Hello, world!\".\n           STOP RUN.\n",
  coffeescript: "console.log \"Hello, world!\"\n",
  commonlisp: "(format t \"Hello, world!~%\")\n",
  crystal: "puts \"Hello, world!\"\n",
  csharp: "using System;\nclass Program { static void Main() { Console.WriteLine(\"Hello, world!\"); } }\n",
  d: "import std.stdio;\n\nvoid main() { writeln(\"Hello, world!\"); }\n",
  elixir: "IO.puts(\"Hello, world!\")\n",
  erlang: "-module(main).\n-export([main/1]).\n\nmain(_) -> io:format(\"Hello, world!~n\").\n",
  forth: ": main .\" Hello, world!\" cr ;\nmain\n",
  fortran: "program hello\n  print '(A)', 'Hello, world!'\nend program hello\n",
  groovy: "println \"Hello, world!\"\n",
  haskell: "main :: IO ()\nmain = putStrLn \"Hello, world!\"\n",
  hy: "(print \"Hello, world!\")\n",
  kotlin: "fun main() { println(\"Hello, world!\") }\n",
  lua: "print(\"Hello, world!\")\n",
  nim: "echo \"Hello, world!\"\n",
  objectivec: "#import <objc/Object.h>\n#include <stdio.h>\n\n@interface Greeter : Object\n+ (void)greet;\n@end\n\n@implementation Greeter\n+ (void)greet { puts(\"Hello, world!\"); }\n@end\n\nint main(void) {\n    [Greeter greet];\n    return 0;\n}\n",
  ocaml: "let () = print_endline \"Hello, world!\"\n",
  octave: "printf(\"Hello, world!\\n\");\n",
  pascal: "program main;\nbegin\n  writeln('Hello, world!');\nend.\n",
  perl: "print \"Hello, world!\\n\";\n",
  php: "<?php echo \"Hello, world!\\n\";\n",
  plaintext: "Hello, world!\n",
  prolog: ":- initialization(main).\n\nmain :- write('Hello, world!'), nl.\n",
  r: "cat(\"Hello, world!\\n\")\n",
  racket: "#lang racket/base\n(displayln \"Hello, world!\")\n",
  scala: "object Main {\n  def main(args: Array[String]): Unit = println(\"Hello, world!\")\n}\n",
  scheme: "(display \"Hello, world!\")\n(newline)\n",
  sql: "SELECT 'Hello, world!';\n",
  swift: "print(\"Hello, world!\")\n",
  tcl: "puts \"Hello, world!\"\n",
  vala: "void main () {\n    print (\"Hello, world!\\n\");\n}\n",
};

export function sampleFor(language: Pick<Language, "id" | "source_file">): SourceFile {
  return { name: language.source_file, content: SAMPLES[language.id] ?? "" };
}

/** Whether a text is one of the starters, as opened (untouched). */
export function isSample(content: string): boolean {
  return content.trim() === "" || Object.values(SAMPLES).includes(content);
}
