// CoffeeScript's `coffee` started ahead of its program in a warm single-use sandbox (the agent's
// zygote mode; the protocol is zygote.py's: the go message arrives on fd 3 as
// "cpu_ms NUL file_size NUL argv...", the agent has already lowered the file size limit and keeps
// the CPU limit on the cell itself). A hello world spends ~150 ms starting Node and loading the
// compiler before its first line; here that happens while the sandbox waits, and the script then
// runs through coffee's own command line (what /usr/bin/coffee calls), so argv, error reports and
// exit statuses are coffee's. One program per process.
// Usage: node coffee-zygote.js PATH/TO/lib/coffeescript
"use strict";
const fs = require("fs");
const path = require("path");

const lib = process.argv[2];
const command = require(path.join(lib, "command"));
const CoffeeScript = require(path.join(lib, "coffeescript"));

// The compiler's code loaded and exercised on a throwaway program (compiled, never run: its output
// would be the program's).
CoffeeScript.compile("square = (x) -> x * x\nlog = (xs...) -> xs.join ','\nlog (square n for n in [1..3])...\n");

// Warm: the agent may hand this sandbox a program without waiting (a byte on fd 4, then closed).
try {
  fs.writeSync(4, "r");
  fs.closeSync(4);
} catch {}
const fields = fs.readFileSync(3).toString("utf8").split("\0").slice(0, -1);
fs.closeSync(3);
if (fields.length < 4) process.exit(0); // No program came (the sandbox was discarded).
// fields: cpu_ms, file size, then argv as the launcher gets it ("coffee", the script, its
// arguments); coffee reads its own from process.argv as Node gives them to /usr/bin/coffee.
process.argv = [process.argv[0], "/usr/bin/coffee", ...fields.slice(3)];
command.run();
