// The "Language" filter of the list pages: any language, or one the platform runs.
import type { Signal } from "@preact/signals";
import { languages } from "../state";

export function LanguageFilter({ value }: { value: Signal<string> }) {
  return (
    <label>
      Language
      <select name="language" value={value.value} onChange={(e) => (value.value = e.currentTarget.value)}>
        <option value="">Any</option>
        {languages.value.map((l) => (
          <option value={l.id} key={l.id}>
            {l.name}
          </option>
        ))}
      </select>
    </label>
  );
}
