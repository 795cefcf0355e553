// Checks of the built SDK (dist/) against a served gateway with a real executor, one scenario per
// run: `node test/check.mjs <scenario>` with CRH_BASE_URL and CRH_API_KEY set. Prints one JSON line
// of what it saw; tests/sdk_ts/test_typescript_sdk.py asserts on it.
import { WebSocket } from "ws";

import {
  CodeRunHub,
  ConflictError,
  NotFoundError,
  ProblemError,
  RateLimitError,
  ValidationError,
} from "../dist/index.js";

const baseUrl = process.env.CRH_BASE_URL;
const apiKey = process.env.CRH_API_KEY;
if (!baseUrl || !apiKey) throw new Error("CRH_BASE_URL and CRH_API_KEY must be set");

// Node 20 has no global WebSocket: the `ws` package's, which can send Authorization headers.
const crh = new CodeRunHub({ baseUrl, apiKey, WebSocket });

function problemOf(error) {
  if (!(error instanceof ProblemError)) throw error;
  return {
    name: error.name,
    kind: error.kind,
    status: error.status,
    type: error.type,
    slug: error.slug,
    title: error.title,
    detail: error.detail,
    errors: error.errors,
    retryAfter: error.retryAfter,
  };
}

async function refusal(promise) {
  try {
    await promise;
  } catch (error) {
    return problemOf(error);
  }
  throw new Error("expected a ProblemError");
}

async function frames(iterable) {
  const seen = [];
  for await (const frame of iterable) seen.push(frame);
  return seen;
}

function summary(seen) {
  return {
    types: seen.map((f) => f.type),
    seqs: seen.map((f) => f.seq),
    stdout: seen
      .filter((f) => f.type === "stdout")
      .map((f) => f.data)
      .join(""),
    verdict: seen.at(-1)?.type === "result" ? seen.at(-1).execution.verdict : null,
  };
}

const scenarios = {
  async run() {
    const done = await crh.run("python", "print(input()[::-1])", { stdin: "hello\n" });
    const files = await crh.run("python", undefined, {
      files: { "main.py": "import helper\n", "helper.py": "print('two files')\n" },
    });
    const again = await crh.get(done.id);
    const submission = await crh.submission(files);
    return {
      status: done.status,
      verdict: done.verdict,
      stdout: done.run?.stdout,
      files: files.run?.stdout,
      again: again.verdict,
      submitted: submission.files.map((file) => file.name),
    };
  },

  // Against a gateway whose ?wait=true gives up after a second: a 202, then polling.
  async "run-past-wait"() {
    const requests = [];
    const counting = new CodeRunHub({
      baseUrl,
      apiKey,
      fetch: (request) => {
        requests.push(`${request.method} ${new URL(request.url).pathname}`);
        return fetch(request);
      },
    });
    const done = await counting.run("python", "import time\ntime.sleep(3)\nprint('late')");
    return { status: done.status, verdict: done.verdict, stdout: done.run?.stdout, requests };
  },

  async stream() {
    const source = "import time\nfor i in range(3):\n    print('line', i, flush=True)\n    time.sleep(0.3)\n";
    const live = summary(await frames(crh.stream(await crh.submit("python", source))));
    // Replayed after the end, by id alone, opened with a ticket instead of a header.
    const ticketed = new CodeRunHub({ baseUrl, apiKey, WebSocket, socketAuth: "ticket" });
    const execution = await crh.run("python", "print('replayed')");
    const replay = summary(await frames(ticketed.stream(execution.id)));
    const unknown = await refusal(frames(crh.stream("01a21870-0000-7000-8000-000000000000")));
    return { live, replay, unknown };
  },

  async interactive() {
    const session = await crh.interactive(
      "python",
      "name = input('name? ')\nprint('hello', name)\nprint(input() + '!')",
    );
    const created = session.execution.status;
    session.send("there\n");
    session.send(new TextEncoder().encode("bytes\n"));
    session.eof();
    const seen = [];
    for await (const frame of session) seen.push(frame);
    const result = await session.result;
    // A second session, killed while it waits for input.
    const killed = await crh.interactive("python", "print('waiting', flush=True)\ninput()");
    for await (const frame of killed) {
      if (frame.type === "stdout") killed.kill();
    }
    const killedResult = await killed.result;
    return {
      created,
      stdout: seen
        .filter((f) => f.type === "stdout")
        .map((f) => f.data)
        .join(""),
      last: seen.at(-1)?.type,
      verdict: result.verdict,
      // Result frames leave the output out (it came as frames): the execution's GET has it.
      runStdout: (await crh.get(result.id)).run?.stdout,
      killed: killedResult.verdict,
      killedMessage: killedResult.message,
    };
  },

  async cancel() {
    const execution = await crh.submit("python", "import time\nprint('started', flush=True)\ntime.sleep(60)");
    // Cancel once it runs: its first output says so.
    for await (const frame of crh.stream(execution)) {
      if (frame.type === "stdout") break;
    }
    let cancelled = await crh.cancel(execution);
    const answered = cancelled.status;
    if (cancelled.status !== "finished") cancelled = await crh.wait(cancelled);
    const again = await refusal(crh.cancel(execution.id));
    const isConflict = await crh.cancel(execution.id).catch((error) => error instanceof ConflictError);
    return { answered, verdict: cancelled.verdict, message: cancelled.message, again, isConflict };
  },

  async snippets() {
    const created = await crh.snippets.create("Reverse", "python", { "main.py": "print(input()[::-1])\n" });
    const read = await crh.snippets.get(created.id);
    const updated = await crh.snippets.update(created, {
      files: { "main.py": "print(input().upper())\n" },
      ifRevision: created.revision,
    });
    const stale = await refusal(crh.snippets.update(created, { title: "Lost", ifRevision: created.revision }));
    const page = await crh.snippets.list({ q: "Reverse" });
    const ran = await crh.snippets.run(created, { stdin: "shout\n" });
    const first = await crh.snippets.run(created, { stdin: "abc\n", revision: 1 });
    const link = await crh.snippets.share(created);
    const anonymous = new CodeRunHub({ baseUrl, WebSocket });
    const shared = await anonymous.snippets.getShared(link);
    const hidden = await refusal(anonymous.snippets.get(created.id));
    const fork = await crh.snippets.fork(created);
    const revisions = await crh.snippets.revisions(created);
    await crh.snippets.delete(fork);
    const gone = await crh.snippets.get(fork.id).catch((error) => error instanceof NotFoundError);
    return {
      title: read.title,
      revisions: [created.revision, updated.revision],
      stale,
      listed: page.items.map((item) => item.id).includes(created.id),
      ran: ran.run?.stdout,
      first: first.run?.stdout,
      link,
      shared: shared.files.map((file) => file.content),
      hidden,
      fork: { forkedFrom: fork.forked_from?.id ?? null, visibility: fork.visibility },
      history: revisions.map((revision) => revision.number),
      gone,
    };
  },

  async problems() {
    const invalid = await refusal(crh.run("python", "print(1)", { limits: { cpu_time_ms: 1 } }));
    const typed = await crh.run("no-such-language", "x").catch((error) => ({
      validation: error instanceof ValidationError,
      problem: error instanceof ProblemError,
      errorClass: error instanceof Error,
    }));
    const missing = await refusal(crh.get("01a21870-0000-7000-8000-000000000000"));
    const badKey = await refusal(new CodeRunHub({ baseUrl, apiKey: "crh_nope_nope", WebSocket }).limits());
    return { invalid, typed, missing, badKey };
  },

  async history() {
    const ids = [];
    for (const n of [1, 2, 3]) ids.push((await crh.run("python", `print(${n})`)).id);
    const requests = [];
    const counting = new CodeRunHub({
      baseUrl,
      apiKey,
      fetch: (request) => {
        const url = new URL(request.url);
        if (url.pathname === "/v1/executions") requests.push(url.search);
        return fetch(request);
      },
    });
    const listed = [];
    for await (const execution of counting.history({ pageSize: 2 })) listed.push(execution.id);
    const python = [];
    for await (const execution of crh.history({ language: "c" })) python.push(execution.id);
    return { ran: ids, listed, requests, filtered: python };
  },

  // Against a gateway allowing one execution in flight per user.
  async retry() {
    const slow = await crh.submit("python", "import time\ntime.sleep(3)");
    const impatient = new CodeRunHub({ baseUrl, apiKey, maxRetries: 0 });
    const refused = await refusal(impatient.submit("python", "print('never')"));
    const isRateLimit = await impatient
      .submit("python", "print('never')")
      .catch((error) => error instanceof RateLimitError);
    const retries = [];
    const patient = new CodeRunHub({
      baseUrl,
      apiKey,
      maxRetries: 10,
      onRetry: (error, waitS) => retries.push({ status: error.status, slug: error.slug, waitS }),
    });
    const done = await patient.run("python", "print('after the wait')");
    const first = await crh.get(slow);
    return { refused, isRateLimit, retries, verdict: done.verdict, stdout: done.run?.stdout, first: first.status };
  },

  async catalogue() {
    const languages = await crh.languages();
    const config = await crh.config();
    const limits = await crh.limits();
    const batch = await crh.batches.run([
      { language: "python", source: "print('a')" },
      { language: "python", source: "print('b')" },
    ]);
    const reread = await crh.batches.get(batch.id);
    const invalidBatch = await refusal(
      crh.batches.create([{ language: "python", source: "x" }, { language: "python" }]),
    );
    const ticket = await crh.createStreamTicket();
    return {
      languages: languages.map((language) => language.id),
      configKeys: Object.keys(config).sort(),
      limitsKeys: Object.keys(limits).sort(),
      batch: { status: batch.status, total: batch.total, stdout: batch.executions.map((e) => e.run?.stdout) },
      reread: reread.executions.map((e) => e.verdict),
      invalidBatch,
      ticket: ticket.ticket.slice(0, 5),
    };
  },
};

const name = process.argv[2];
const scenario = scenarios[name];
if (!scenario) throw new Error(`unknown scenario ${name}: ${Object.keys(scenarios).join(", ")}`);
console.log(JSON.stringify(await scenario()));
