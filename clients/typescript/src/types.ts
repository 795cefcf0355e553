// Named types of the gateway's OpenAPI document (schema.d.ts, generated: `make ts-sdk-types`).
import type { components, operations, paths } from "./schema.js";

export type { components, operations, paths };
type Schemas = components["schemas"];

export type Execution = Schemas["ExecutionOut"];
export type ExecutionCreate = Schemas["ExecutionCreate"];
export type ExecutionPage = Schemas["ExecutionPage"];
export type ExecutionStatus = Schemas["ExecutionStatus"];
export type Phase = Schemas["PhaseOut"];
export type Verdict = Schemas["Verdict"];
export type Submission = Schemas["SubmissionOut"];
export type FileIn = Schemas["FileIn"];
export type LimitsIn = Schemas["LimitsIn"];
export type JudgeCaseIn = Schemas["JudgeCaseIn"];
export type CompareMode = Schemas["CompareMode"];
export type Language = Schemas["LanguageOut"];
export type Limits = Schemas["LimitsOut"];
export type Config = Schemas["ConfigOut"];
export type Snippet = Schemas["SnippetOut"];
export type SnippetCreate = Schemas["SnippetCreate"];
export type SnippetUpdate = Schemas["SnippetUpdate"];
export type SnippetRun = Schemas["SnippetRun"];
export type SnippetPage = Schemas["SnippetPage"];
export type SnippetSummary = Schemas["SnippetSummary"];
export type Revision = Schemas["RevisionOut"];
export type RevisionSummary = Schemas["RevisionSummary"];
export type Batch = Schemas["BatchOut"];
export type StreamTicket = Schemas["StreamTicketOut"];
export type WebhookSecret = Schemas["WebhookSecretOut"];
export type Problem = Schemas["Problem"];
export type FieldError = Schemas["FieldError"];
export type Visibility = SnippetCreate["visibility"] & string;
export type Encoding = "text" | "base64";
export type HistoryFilters = NonNullable<operations["list_executions"]["parameters"]["query"]>;
