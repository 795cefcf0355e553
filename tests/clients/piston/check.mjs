// The published piston-client, unmodified, against a CodeRunHub gateway (tests/compat/test_piston_client.py):
// node check.mjs <server URL> prints one JSON object with what each call returned.
import piston from "piston-client";

const client = piston({ server: process.argv[2] });
const runtimes = await client.runtimes();
const echo = await client.execute(
  "python",
  "import sys\nprint(repr(sys.stdin.read()), sys.argv[1:])",
  { stdin: "from stdin", args: ["x", "y"] },
);
const defaults = await client.execute("python", "import sys\nprint(sys.argv[1:])");
const compileError = await client.execute("c", "int main( { return 0; }\n");
const runtimeError = await client.execute("python", "raise ValueError('boom')");
console.log(JSON.stringify({ runtimes, echo, defaults, compileError, runtimeError }));
