// Type-level check of the published declarations (dist/*.d.ts) as a Node consumer compiles them:
// `tsc -p test/tsconfig.json` (tests/sdk_ts). Never run; it only has to type-check.
import { WebSocket } from "ws";

import {
  CodeRunHub,
  ProblemError,
  ValidationError,
  type Execution,
  type StreamFrame,
  type InteractiveSession,
} from "../dist/index.js";

export async function usage(): Promise<string> {
  const crh = new CodeRunHub({ baseUrl: "http://127.0.0.1:8000", apiKey: "crh_...", WebSocket, maxRetries: 2 });
  const done: Execution = await crh.run("python", "print(input())", { stdin: "hi\n", limits: { cpu_time_ms: 1000 } });
  let output = done.run?.stdout ?? "";
  for await (const frame of crh.stream(await crh.submit("c", undefined, { files: { "main.c": "int main(){}" } }))) {
    const typed: StreamFrame = frame;
    if (typed.type === "stdout" || typed.type === "stderr") output += typed.data;
    if (typed.type === "result") output += typed.execution.verdict ?? "";
    if (typed.type === "test") output += typed.verdict;
  }
  const session: InteractiveSession = await crh.interactive("python", "input()", { encoding: "text" });
  session.send("x\n");
  session.send(new Uint8Array([10]));
  session.eof();
  for await (const frame of session) {
    if (frame.type === "error") output += frame.problem.title;
  }
  output += (await session.result).verdict ?? "";
  for await (const execution of crh.history({ language: "python", pageSize: 10 })) output += execution.id;
  const snippet = await crh.snippets.create("t", "python", [{ name: "main.py", content: "" }], {
    visibility: "public",
  });
  output += (await crh.snippets.run(snippet, { stdin: "" })).verdict ?? "";
  try {
    await crh.cancel(done);
  } catch (error) {
    if (error instanceof ValidationError) output += error.errors.map((e) => e.loc.join(".")).join();
    if (error instanceof ProblemError && error.kind === "conflict") output += error.detail ?? "";
  }
  const browserLike = new CodeRunHub({ baseUrl: "https://api.example.com", accessToken: "jwt", socketAuth: "ticket" });
  output += (await browserLike.createStreamTicket(done)).ticket;
  return output;
}
