// File tabs: switch, add, rename (double-click or the ✎ button) and close.
import { replaceFiles, updateWorkspace, workspace } from "../state";

const VALID_NAME = /^(?!\.)[\w.+-]+(\/[\w.+-]+)*$/;

export function Tabs() {
  const ws = workspace.value;

  const add = () => {
    const extension = ws.files[0]?.name.includes(".") ? ws.files[0].name.slice(ws.files[0].name.lastIndexOf(".")) : "";
    let n = ws.files.length + 1;
    while (ws.files.some((f) => f.name === `file${n}${extension}`)) n++;
    replaceFiles({ files: [...ws.files, { name: `file${n}${extension}`, content: "" }], active: ws.files.length });
  };

  const rename = (index: number) => {
    const name = window.prompt("File name", ws.files[index].name)?.trim();
    if (!name || name === ws.files[index].name) return;
    if (!VALID_NAME.test(name) || ws.files.some((f) => f.name === name)) {
      window.alert(`"${name}" is not a valid, unused file name.`);
      return;
    }
    updateWorkspace({ files: ws.files.map((f, i) => (i === index ? { ...f, name } : f)) });
  };

  const close = (index: number) => {
    if (ws.files.length === 1) return;
    if (ws.files[index].content.trim() && !window.confirm(`Close ${ws.files[index].name}? Its content is lost.`)) return;
    replaceFiles({
      files: ws.files.filter((_, i) => i !== index),
      active: Math.max(0, ws.active >= index ? ws.active - 1 : ws.active),
    });
  };

  // The tablist holds the tabs only (ARIA allows nothing else in one: axe-core flagged the rename,
  // close and add buttons inside it); those act on the open file, after the list.
  const open = ws.files[ws.active];
  return (
    <div class="tabs">
      <div class="tablist" role="tablist" aria-label="Files">
        {ws.files.map((file, i) => (
          <div class={i === ws.active ? "tab active" : "tab"} key={file.name}>
            <button
              role="tab"
              aria-selected={i === ws.active}
              onClick={() => updateWorkspace({ active: i })}
              onDblClick={() => rename(i)}
            >
              {file.name}
            </button>
          </div>
        ))}
      </div>
      {open && (
        <button class="icon" aria-label={`Rename ${open.name}`} title="Rename" onClick={() => rename(ws.active)}>
          ✎
        </button>
      )}
      {open && ws.files.length > 1 && (
        <button class="icon" aria-label={`Close ${open.name}`} title="Close" onClick={() => close(ws.active)}>
          ×
        </button>
      )}
      <button class="icon add" aria-label="Add a file" title="Add a file" onClick={add}>
        +
      </button>
    </div>
  );
}
