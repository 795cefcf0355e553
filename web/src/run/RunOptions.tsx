// The Options panel under the editor: arguments, compiler flags, limits and test cases with their
// expected output. Folded by default; its summary counts what is set, so nothing runs differently
// unnoticed.
import type { Language } from "../api/client";
import { activeCount, resetOptions, runOptions, updateOptions, type TestCase } from "./options";
import "./options.css";

export function RunOptionsPanel({ language }: { language: Language | undefined }) {
  const options = runOptions.value;
  const active = activeCount(options);
  const setCase = (index: number, change: Partial<TestCase>) =>
    updateOptions({ cases: options.cases.map((c, i) => (i === index ? { ...c, ...change } : c)) });
  const patterns = language?.compile_options ?? [];
  return (
    <details class="run-options" data-testid="run-options">
      <summary>
        Options{active > 0 && <span class="count">{` · ${active} set`}</span>}
      </summary>
      <div class="grid">
        <label>
          Arguments <small>(one per line)</small>
          <textarea
            rows={2}
            name="args"
            spellcheck={false}
            value={options.args}
            onInput={(e) => updateOptions({ args: e.currentTarget.value })}
          />
        </label>
        {language?.compiled && (
          <div class="flags">
            <label>
              Compiler flags
              <input
                name="flags"
                spellcheck={false}
                value={options.flags}
                placeholder={patterns.length > 0 ? "e.g. -O2 -Wall" : "none accepted"}
                disabled={patterns.length === 0}
                aria-describedby="run-options-flags"
                onInput={(e) => updateOptions({ flags: e.currentTarget.value })}
              />
            </label>
            {/* Outside the label: the patterns are a description, not part of the field's name. */}
            {patterns.length > 0 && (
              <small class="patterns" id="run-options-flags">
                Accepted: {patterns.join("  ")}
              </small>
            )}
          </div>
        )}
        <fieldset class="limits">
          <legend>Limits (empty: the defaults)</legend>
          <label>
            CPU ms
            <input
              type="number"
              min={1}
              name="cpu_ms"
              value={options.cpuMs}
              onInput={(e) => updateOptions({ cpuMs: e.currentTarget.value })}
            />
          </label>
          <label>
            Wall ms
            <input
              type="number"
              min={1}
              name="wall_ms"
              value={options.wallMs}
              onInput={(e) => updateOptions({ wallMs: e.currentTarget.value })}
            />
          </label>
          <label>
            Memory MiB
            <input
              type="number"
              min={1}
              name="memory_mb"
              value={options.memoryMb}
              onInput={(e) => updateOptions({ memoryMb: e.currentTarget.value })}
            />
          </label>
        </fieldset>
      </div>
      <fieldset class="cases">
        <legend>Test cases {options.cases.length > 0 && "(each runs with its own input; the Stdin box is not used)"}</legend>
        {options.cases.map((c, i) => (
          <div class="case" key={i} data-testid="test-case">
            <label>
              Input {i + 1}
              <textarea rows={2} spellcheck={false} value={c.stdin} onInput={(e) => setCase(i, { stdin: e.currentTarget.value })} />
            </label>
            <label>
              Expected output {i + 1}
              <textarea
                rows={2}
                spellcheck={false}
                value={c.expected}
                onInput={(e) => setCase(i, { expected: e.currentTarget.value })}
              />
            </label>
            <button
              type="button"
              aria-label={`Remove test case ${i + 1}`}
              onClick={() => updateOptions({ cases: options.cases.filter((_, j) => j !== i) })}
            >
              ✕
            </button>
          </div>
        ))}
        <div class="case-actions">
          <button type="button" onClick={() => updateOptions({ cases: [...options.cases, { stdin: "", expected: "" }] })}>
            Add test case
          </button>
          <label>
            Compare
            <select
              name="compare"
              value={options.compare}
              onChange={(e) => updateOptions({ compare: e.currentTarget.value as "exact" | "whitespace" })}
            >
              <option value="exact">exactly</option>
              <option value="whitespace">ignoring trailing whitespace</option>
            </select>
          </label>
          {active > 0 && (
            <button type="button" onClick={resetOptions}>
              Clear options
            </button>
          )}
        </div>
      </fieldset>
    </details>
  );
}
