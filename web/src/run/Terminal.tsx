// xterm.js for interactive runs. The program's stdin is a pipe, not a tty, so the terminal edits a
// line locally (echo, backspace) and sends it on Enter; Ctrl+D sends end-of-file, Ctrl+C stops.
import { FitAddon } from "@xterm/addon-fit";
import { Terminal as XTerm } from "@xterm/xterm";
import "@xterm/xterm/css/xterm.css";
import { useEffect, useRef } from "preact/hooks";
import type { Theme } from "../state";

export interface TerminalApi {
  write(data: string): void;
  clear(): void;
  focus(): void;
}

interface Props {
  theme: Theme;
  onLine: (line: string) => void;
  onEof: () => void;
  onInterrupt: () => void;
  register: (api: TerminalApi | null) => void;
}

const THEMES = {
  light: { background: "#fbfbfb", foreground: "#1d1d1f", cursor: "#1d1d1f", selectionBackground: "#b4d5fe" },
  dark: { background: "#1e1f22", foreground: "#e6e6e6", cursor: "#e6e6e6", selectionBackground: "#3e4451" },
};

export function Terminal({ theme, onLine, onEof, onInterrupt, register }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const term = useRef<XTerm | null>(null);
  const handlers = useRef({ onLine, onEof, onInterrupt });
  handlers.current = { onLine, onEof, onInterrupt };

  useEffect(() => {
    const xterm = new XTerm({
      convertEol: true,
      cursorBlink: true,
      fontSize: 14,
      rows: 12,
      theme: THEMES[theme],
      fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace",
    });
    const fit = new FitAddon();
    xterm.loadAddon(fit);
    xterm.open(host.current!);
    xterm.textarea?.setAttribute("aria-label", "Terminal input");
    fit.fit();
    const observer = new ResizeObserver(() => {
      try {
        fit.fit();
      } catch {
        /* hidden */
      }
    });
    observer.observe(host.current!);
    let line = "";
    xterm.onData((data) => {
      for (const char of data) {
        if (char === "\r") {
          xterm.write("\r\n");
          handlers.current.onLine(line + "\n");
          line = "";
        } else if (char === "\x7f") {
          if (line.length > 0) {
            line = line.slice(0, -1);
            xterm.write("\b \b");
          }
        } else if (char === "\x04") {
          if (line) handlers.current.onLine(line);
          line = "";
          handlers.current.onEof();
        } else if (char === "\x03") {
          xterm.write("^C\r\n");
          line = "";
          handlers.current.onInterrupt();
        } else if (char >= " ") {
          line += char;
          xterm.write(char);
        }
      }
    });
    term.current = xterm;
    register({
      write: (data) => xterm.write(data),
      clear: () => {
        line = "";
        xterm.reset();
      },
      focus: () => xterm.focus(),
    });
    return () => {
      register(null);
      observer.disconnect();
      xterm.dispose();
    };
  }, []);

  useEffect(() => {
    if (term.current) term.current.options.theme = THEMES[theme];
  }, [theme]);

  return <div class="term-host" ref={host} role="group" aria-label="Program terminal" />;
}
