// What a run may use, shown before running: the caller's runs left (GET /v1/limits), the limits a
// run gets (GET /v1/config, for the caller's class), and for signed-out people what signing in
// gives. A refused run (429) becomes a countdown here instead of an error.
import { useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import type { Config, Limits } from "@coderunhub/client";
import { currentUser } from "../api/auth";
import { sdk } from "../api/sdk";
import "./Limits.css";

type CallerClass = Config["classes"][string];

/** Seconds left until `start(seconds)`'s moment (0 when none), ticking once a second. */
export function useCountdown(): { seconds: number; start: (seconds: number) => void } {
  const until = useSignal(0);
  const now = useSignal(Date.now());
  const timer = useRef<number | undefined>(undefined);
  useEffect(() => () => window.clearInterval(timer.current), []);
  const start = (seconds: number) => {
    until.value = Date.now() + seconds * 1000;
    now.value = Date.now();
    window.clearInterval(timer.current);
    timer.current = window.setInterval(() => {
      now.value = Date.now();
      if (now.value >= until.value) window.clearInterval(timer.current);
    }, 250);
  };
  return { seconds: Math.max(0, Math.ceil((until.value - now.value) / 1000)), start };
}

function seconds(ms: number): string {
  return `${+(ms / 1000).toFixed(2)} s`;
}

function bytes(value: number): string {
  return value >= 1 << 20 ? `${+(value / (1 << 20)).toFixed(1)} MiB` : `${Math.round(value / 1024)} KiB`;
}

/** "10/minute" as "10 runs a minute". */
function rate(policy: string): string {
  const [count, per] = policy.split("/");
  return `${count} runs a ${per ?? "minute"}`;
}

function runLimits(caller: CallerClass, interactive: boolean): string {
  const run = caller.run_limits;
  const wall = interactive ? caller.interactive_wall_time_ms.default : run.wall_time_ms.default;
  return (
    `${seconds(run.cpu_time_ms.default)} CPU, ${seconds(wall)} wall, ` +
    `${run.memory_mb.default} MiB memory, ${bytes(run.output_bytes.default)} output`
  );
}

interface Props {
  /** Changes after each run: the budget is read again. */
  refresh: number;
  interactive: boolean;
  /** Seconds until a refused run may be retried (0: none refused). */
  retryIn: number;
}

/** Whether signing in changes anything (a deployment may give both classes the same limits). */
function gives(account: CallerClass, caller: CallerClass, interactive: boolean, rates: boolean | undefined): boolean {
  if (runLimits(account, interactive) !== runLimits(caller, interactive)) return true;
  return Boolean(rates) && rate(account.rate_limits.executions) !== rate(caller.rate_limits.executions);
}

export function LimitsLine({ refresh, interactive, retryIn }: Props) {
  const config = useSignal<Config | null>(null);
  const limits = useSignal<Limits | null>(null);
  const user = currentUser.value;
  const waiting = retryIn > 0;

  useEffect(() => {
    sdk.config().then(
      (value) => (config.value = value),
      () => undefined, // the line is a help, not a requirement: without it runs work the same
    );
  }, [user?.id]);
  useEffect(() => {
    sdk.limits().then(
      (value) => (limits.value = value),
      () => undefined,
    );
  }, [refresh, user?.id, waiting]);

  const caller = config.value?.classes[config.value.caller];
  const account = config.value?.classes.account;
  const budget = limits.value?.enabled ? limits.value.budgets.find((b) => b.name === "executions") : undefined;
  const signedOut = config.value?.caller === "anonymous";
  return (
    <div class="limits" data-testid="limits" aria-label="Your limits">
      {waiting ? (
        <strong class="countdown" role="status" data-testid="countdown">
          You can run again in {retryIn} s
        </strong>
      ) : (
        budget && (
          <span data-testid="runs-left">
            {budget.remaining} of {budget.limit} runs left
            {budget.window_s === 60 ? " this minute" : ` in ${budget.window_s} s`}
            {budget.remaining === 0 ? ` (more in ${budget.reset_after_s} s)` : ""}
          </span>
        )
      )}
      {caller && <span data-testid="run-limits">Each run: {runLimits(caller, interactive)}</span>}
      {signedOut && account && caller && gives(account, caller, interactive, config.value?.rate_limits_enabled) && (
        <span class="upgrade" data-testid="sign-in-gives">
          Signed out. <a href="/account">Sign in</a> for{" "}
          {config.value?.rate_limits_enabled ? `${rate(account.rate_limits.executions)}, ` : ""}
          {runLimits(account, interactive)}.
        </span>
      )}
    </div>
  );
}
