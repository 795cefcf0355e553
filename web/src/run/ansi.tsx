// Program output with ANSI colours (SGR sequences) as styled text. anser parses the sequences; the
// pieces become text nodes and style objects, never HTML, so output is shown as text whatever it
// contains (a program printing markup prints characters).
import Anser, { type AnserJsonEntry } from "anser";
import { useMemo } from "preact/hooks";
import type { JSX } from "preact";

// anser gives colours as "r, g, b"; anything else is not used as a style.
const RGB = /^\d{1,3}, \d{1,3}, \d{1,3}$/;

function colour(value: string | null): string | undefined {
  return value && RGB.test(value) ? `rgb(${value})` : undefined;
}

function styleOf(entry: AnserJsonEntry): JSX.CSSProperties | null {
  const style: JSX.CSSProperties = {};
  let reverse = false;
  for (const decoration of entry.decorations) {
    if (decoration === "bold") style.fontWeight = "bold";
    else if (decoration === "dim") style.opacity = 0.7;
    else if (decoration === "italic") style.fontStyle = "italic";
    else if (decoration === "underline") style.textDecoration = "underline";
    else if (decoration === "strikethrough") style.textDecoration = "line-through";
    else if (decoration === "hidden") style.visibility = "hidden";
    else if (decoration === "reverse") reverse = true;
  }
  const fg = colour(entry.fg);
  const bg = colour(entry.bg);
  if (reverse) {
    style.color = bg ?? "var(--panel)";
    style.backgroundColor = fg ?? "currentColor";
  } else {
    if (fg) style.color = fg;
    if (bg) style.backgroundColor = bg;
  }
  return Object.keys(style).length > 0 ? style : null;
}

export function AnsiText({ text }: { text: string }) {
  // Only the segment still growing is parsed again as output streams in.
  const entries = useMemo(() => (text.includes("\x1b") ? Anser.ansiToJson(text, { remove_empty: true }) : null), [text]);
  if (entries === null) return <>{text}</>;
  return (
    <>
      {entries.map((entry, i) => {
        const style = styleOf(entry);
        return style ? (
          <span class="ansi" style={style} key={i}>
            {entry.content}
          </span>
        ) : (
          entry.content
        );
      })}
    </>
  );
}

/** The text without its escape sequences (what Copy and Download give). */
export function plainText(text: string): string {
  return text.includes("\x1b") ? Anser.ansiToText(text) : text;
}
