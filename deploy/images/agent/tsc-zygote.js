// TypeScript's tsc (5.x, a JavaScript program) started ahead of its program in a warm single-use
// sandbox (the agent's zygote mode; the protocol is zygote.py's: the go message arrives on fd 3
// as "cpu_ms NUL file_size NUL argv...", the agent has already lowered the file size limit). It
// loads the compiler and type-checks and emits a throwaway program before the submission is
// known, so the submission's compile runs with the compiler's code loaded and optimised: a hello
// world compiles in a fraction of a cold tsc's time. One compile per process.
// Usage: node tsc-zygote.js PATH/TO/typescript
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");

const ts = require(process.argv[2]);

const WARM_UP = `
interface Shape { area(): number; name?: string }
class Circle implements Shape { constructor(private r: number) {} area() { return Math.PI * this.r ** 2; } }
const shapes: Shape[] = [new Circle(1), { area: () => 2 }];
const total = shapes.map((s) => s.area()).reduce((a, b) => a + b, 0);
type Pair<T> = [T, T];
function swap<T>(p: Pair<T>): Pair<T> { return [p[1], p[0]]; }
const lines: string[] = require("fs").readFileSync(0, "utf8").split("\\n").filter((l: string) => l.length > 0);
for (const l of lines) console.log("echo: " + l, total, swap([1, 2]));
declare var require: any;
`;

// Parsed declaration files (lib.*.d.ts: most of a small program's compile) kept from the warm-up
// and handed to the submission's program; syntax trees are immutable, so sharing them between
// the programs of this one process is what TypeScript's own language service does.
const cache = new Map();

function host(options) {
  const base = ts.createCompilerHost(options);
  const getSourceFile = base.getSourceFile;
  base.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    if (!fileName.endsWith(".d.ts") || !fileName.includes("node_modules")) {
      return getSourceFile.call(base, fileName, languageVersion, onError, shouldCreate);
    }
    const key = `${fileName}\0${JSON.stringify(languageVersion)}`;
    let file = cache.get(key);
    if (file === undefined) {
      file = getSourceFile.call(base, fileName, languageVersion, onError, shouldCreate);
      cache.set(key, file);
    }
    return file;
  };
  return base;
}

function compile(fileNames, options, write) {
  const program = ts.createProgram(fileNames, options, host(options));
  const emitted = program.emit();
  const diagnostics = ts.sortAndDeduplicateDiagnostics([...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics]);
  if (diagnostics.length) {
    const format = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => process.cwd(), getNewLine: () => "\n" };
    write(options.pretty ? ts.formatDiagnosticsWithColorAndContext(diagnostics, format) : ts.formatDiagnostics(diagnostics, format));
  }
  // tsc's exit statuses: 0 success, 1 errors and nothing emitted, 2 errors with output emitted.
  const errors = diagnostics.some((d) => d.category === ts.DiagnosticCategory.Error);
  return !errors ? 0 : emitted.emitSkipped ? 1 : 2;
}

function warm() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "crh-tsc-warm-"));
  try {
    const file = path.join(dir, "warm.ts");
    fs.writeFileSync(file, WARM_UP);
    // One throwaway compile parses the library and loads the compiler; more would delay a program
    // that arrives meanwhile.
    for (let i = 0; i < 1; i++) {
      compile([file], { outDir: path.join(dir, "out"), target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS }, () => {});
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

warm();
const fields = fs.readFileSync(3).toString("utf8").split("\0").slice(0, -1);
fs.closeSync(3);
if (fields.length < 3) process.exit(0); // No program came (the sandbox was discarded).
// fields: cpu_ms, file size, then argv as the launcher would get it ("tsc5", options...).
const args = fields.slice(3);
const parsed = ts.parseCommandLine(args);
if (parsed.errors.length || parsed.options.version || parsed.options.help || parsed.options.project || !parsed.fileNames.length) {
  // Anything but a plain compile of named files: tsc itself.
  ts.executeCommandLine(ts.sys, () => {}, args);
} else {
  // tsc reports diagnostics on stdout.
  process.exitCode = compile(parsed.fileNames, parsed.options, (text) => process.stdout.write(text));
}
