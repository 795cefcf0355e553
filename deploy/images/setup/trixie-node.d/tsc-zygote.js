// TypeScript 5's tsc (a JavaScript program) kept warm for a sandbox's zygote mode, as a V8 start-up
// snapshot. The image's setup hook (trixie-node.sh) runs this file once with
//   node --snapshot-blob /opt/crh/tsc5.blob --build-snapshot tsc-zygote.js PATH/TO/typescript.js
// which loads the compiler and compiles a throwaway program, so the parsed and bound library
// declarations (lib.*.d.ts: ~1.3 s of a small program's compile) are in the heap when it is saved.
// Each sandbox's zygote is `node --snapshot-blob /opt/crh/tsc5.blob`: a fresh process whose heap is
// deserialized from that read-only file (no state of any execution is in it or reaches another),
// which then waits for its go message on fd 3 (zygote.py's protocol: "cpu_ms NUL file_size NUL
// argv...", the agent has already lowered the file size limit). One compile per process.
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const v8 = require("v8");
const vm = require("vm");

// A snapshot may hold one script only (no user-land require): typescript.js is a single CommonJS
// file, evaluated here as Node would, with the built-in require it asks for.
const TYPESCRIPT = path.resolve(process.argv[2]);
const wrapper = vm.runInThisContext(
  `(function (exports, require, module, __filename, __dirname) {${fs.readFileSync(TYPESCRIPT, "utf8")}\n})`,
  { filename: TYPESCRIPT },
);
const tsModule = { exports: {} };
wrapper(tsModule.exports, require, tsModule, TYPESCRIPT, path.dirname(TYPESCRIPT));
const ts = tsModule.exports;

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

// Parsed declaration files of TypeScript's own library, kept from the warm-up and handed to the
// submission's program; reusing bound syntax trees across programs is what TypeScript's own
// language service does.
const cache = new Map();
const LIBRARY = path.dirname(TYPESCRIPT) + path.sep;

function host(options) {
  const base = ts.createCompilerHost(options);
  const getSourceFile = base.getSourceFile;
  base.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    if (!fileName.endsWith(".d.ts") || !path.resolve(fileName).startsWith(LIBRARY)) {
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
    // The options the catalogue compiles with (shared/languages/families/scripting.py): the same
    // target selects the same library files.
    const options = { outDir: path.join(dir, "out"), target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, skipLibCheck: true };
    if (compile([file], options, (text) => process.stderr.write(text)) !== 0) throw new Error("the warm-up program did not compile");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function main() {
  // Ready: the agent may hand this sandbox a program without waiting (fd 4, when it gives one).
  try {
    fs.writeSync(4, "r");
    fs.closeSync(4);
  } catch {}
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
}

warm();
v8.startupSnapshot.setDeserializeMainFunction(main);
