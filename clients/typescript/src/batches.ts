// Batches: up to the server's batch size of executions submitted at once (/v1/batches).
import { sleep, unwrap, type Transport } from "./http.js";
import { idempotencyHeaders, stripUndefined, TimeoutError, type WaitOptions } from "./requests.js";
import type { Batch, Encoding, ExecutionCreate } from "./types.js";

export class Batches {
  constructor(private readonly transport: Transport) {}

  /** Submit them all (one 422 names every invalid item by index, and nothing is created). */
  create(
    executions: ExecutionCreate[],
    options: { wait?: boolean; encoding?: Encoding; idempotencyKey?: string } = {},
  ): Promise<Batch> {
    const { wait, encoding = "text", idempotencyKey } = options;
    return unwrap(
      this.transport.api.POST("/v1/batches", {
        params: { query: stripUndefined({ wait: wait || undefined, encoding }) },
        body: { executions },
        headers: idempotencyHeaders(idempotencyKey),
      }),
    );
  }

  get(batch: string | { id: string }, options: { encoding?: Encoding } = {}): Promise<Batch> {
    const batchId = typeof batch === "string" ? batch : batch.id;
    return unwrap(
      this.transport.api.GET("/v1/batches/{batch_id}", {
        params: { path: { batch_id: batchId }, query: { encoding: options.encoding ?? "text" } },
      }),
    );
  }

  /** Submit and wait until every execution finished (polling past the server's wait). */
  async run(executions: ExecutionCreate[], options: WaitOptions = {}): Promise<Batch> {
    const encoding = options.encoding ?? "text";
    let batch = await this.create(executions, { wait: true, encoding });
    const deadline = options.timeoutS === undefined ? null : Date.now() + options.timeoutS * 1000;
    while (batch.status !== "finished") {
      if (deadline !== null && Date.now() > deadline) {
        throw new TimeoutError(`batch ${batch.id} did not finish within ${options.timeoutS} s`);
      }
      await sleep(1);
      batch = await this.get(batch, { encoding });
    }
    return batch;
  }
}
