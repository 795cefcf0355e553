// The undo bar: what replaced the editor's unsaved code, and the way back to that code.
import "./DraftBar.css";
import { kept, restoreKept } from "../drafts";

export function DraftBar() {
  const previous = kept.value;
  if (!previous) return null;
  return (
    <div class="draft-bar" role="status" data-testid="draft-bar">
      <span>{previous.message} Your previous code was kept.</span>
      <button class="primary" onClick={restoreKept}>
        Restore
      </button>
      <button class="icon" onClick={() => (kept.value = null)} aria-label="Dismiss" title="Dismiss">
        ×
      </button>
    </div>
  );
}
