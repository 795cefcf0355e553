// The editor's pages: / (the workspace), /snippets/<id> and /s/<token> (a snippet, opened into the
// workspace on arrival; returning to the entry by reload, Back or Forward shows the code as left).
import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { api, describe, unwrap } from "../api/client";
import { arrival, claimOpening } from "../drafts";
import { openSnippet } from "../snippets";
import { Playground } from "./Playground";

export function EditorPage({ path }: { path: string }) {
  const [, first, second] = path.split("/");
  const key = arrival.value.key;
  const opening = useSignal(false);
  const error = useSignal("");
  const shared = first === "s";

  useEffect(() => {
    if (!second || !claimOpening()) return;
    error.value = "";
    opening.value = true;
    let current = true;
    const load = shared
      ? unwrap(api.GET("/v1/snippets/shared/{token}", { params: { path: { token: second } } }))
      : unwrap(api.GET("/v1/snippets/{snippet_id}", { params: { path: { snippet_id: second } } }));
    void load
      .then((snippet) => current && openSnippet(snippet, shared ? second : null))
      .catch((err: unknown) => {
        if (current) error.value = describe(err);
      })
      .finally(() => {
        if (current) opening.value = false;
      });
    return () => {
      current = false;
      opening.value = false;
    };
  }, [key, first, second]);

  // The editor stays mounted across these addresses (saving a new snippet moves it to its page).
  return (
    <>
      {error.value ? (
        <p class="error" role="alert">
          {shared ? "This link does not open a snippet" : "This snippet cannot be opened"}: {error.value}
        </p>
      ) : opening.value ? (
        <p role="status">{shared ? "Opening the shared snippet…" : "Opening the snippet…"}</p>
      ) : null}
      <Playground />
    </>
  );
}
