// Badges on file tabs: how many problems the latest analysis found in each file that is not open.
// The tabs are components/Tabs.tsx's; this marks their elements (data-problems, styled in
// analysis.css) after each render rather than changing that component.
import { useLayoutEffect } from "preact/hooks";
import type { FileProblems, ProblemCount } from "./lint";
import "./analysis.css";

function describe(count: ProblemCount): string {
  const parts = [
    count.error && `${count.error} error${count.error > 1 ? "s" : ""}`,
    count.warning && `${count.warning} warning${count.warning > 1 ? "s" : ""}`,
    count.info && `${count.info} note${count.info > 1 ? "s" : ""}`,
  ].filter(Boolean);
  return parts.join(", ");
}

/** Marks the `.tab` elements inside `host` (in the order of `names`), skipping the active one. */
export function useTabBadges(host: { current: HTMLElement | null }, names: string[], active: number, problems: FileProblems) {
  useLayoutEffect(() => {
    const tabs = host.current?.querySelectorAll<HTMLElement>(".tabs .tab") ?? [];
    tabs.forEach((tab, i) => {
      const count = names[i] === undefined ? undefined : problems[names[i]];
      const total = count ? count.error + count.warning + count.info : 0;
      const button = tab.querySelector<HTMLElement>("[role=tab]");
      if (i === active || !count || total === 0) {
        delete tab.dataset.problems;
        delete tab.dataset.severity;
        button?.removeAttribute("aria-description");
        tab.removeAttribute("title");
        return;
      }
      tab.dataset.problems = String(total);
      tab.dataset.severity = count.error ? "error" : count.warning ? "warning" : "info";
      tab.title = describe(count);
      button?.setAttribute("aria-description", describe(count));
    });
  });
}
