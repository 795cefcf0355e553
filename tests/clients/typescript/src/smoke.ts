// Smoke test of a client generated from the gateway's live OpenAPI: openapi-typescript types and
// openapi-fetch calls, compiled with tsc (so a schema that does not fit the calls fails to build).
// Run by tests/product/test_openapi_clients.py with CRH_BASE_URL and CRH_TOKEN; prints one JSON line.
import createClient from "openapi-fetch";

import type { components, paths } from "./generated/schema.js";

type Execution = components["schemas"]["ExecutionOut"];
type Problem = components["schemas"]["Problem"];

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

function fail(what: string, status: number, problem: Problem | undefined): never {
  throw new Error(`${what}: HTTP ${status} ${JSON.stringify(problem)}`);
}

const client = createClient<paths>({ baseUrl: required("CRH_BASE_URL") });
const auth = { Authorization: `Bearer ${required("CRH_TOKEN")}` };

const ran = await client.POST("/v1/executions", {
  params: { query: { wait: true } },
  body: { language: "python", source: 'print("typescript", 6 * 7)' },
});
if (ran.error || ran.data === undefined) fail("create_execution", ran.response.status, ran.error);
const execution: Execution = ran.data;

const read = await client.GET("/v1/executions/{execution_id}", {
  params: { path: { execution_id: execution.id } },
});
if (read.error || read.data === undefined) fail("get_execution", read.response.status, read.error);

const saved = await client.POST("/v1/snippets", {
  headers: auth,
  body: {
    language: "python",
    title: "Saved from TypeScript",
    files: [{ name: "main.py", content: 'print("saved")\n' }],
    visibility: "private",
  },
});
if (saved.error || saved.data === undefined) fail("create_snippet", saved.response.status, saved.error);

const missing = await client.GET("/v1/executions/{execution_id}", {
  params: { path: { execution_id: "01a21870-0000-7000-8000-000000000000" } },
});

console.log(
  JSON.stringify({
    execution: {
      status: ran.response.status,
      id: execution.id,
      verdict: execution.verdict,
      stdout: execution.run?.stdout ?? null,
      reread_verdict: read.data.verdict,
    },
    snippet: {
      status: saved.response.status,
      id: saved.data.id,
      title: saved.data.title,
      visibility: saved.data.visibility,
      files: saved.data.files.map((file) => file.name),
    },
    problem: { status: missing.response.status, type: missing.error?.type ?? null },
  }),
);
