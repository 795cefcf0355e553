// Addresses: every page has a real path (/, /snippets, /snippets/<id>, /history, /history/<id>,
// /s/<token>, /analytics, /account, /collab/<id>), kept with the History API so Back, reload and
// shared links work. Each history entry carries a key of its own: the workspace is remembered per
// entry (state.ts), so Back brings back the code that was there.
import { signal } from "@preact/signals";

/** A live session's page (its invite links carry #k=<token>, not a route). */
export const COLLAB_PATH = /^\/collab\/([\w-]+)\/?$/;

/** The pages this app draws; anything else on the origin (the API, /auth/, /docs) is the server's. */
const APP_PATH = /^\/(?:(?:snippets|history)(?:\/[\w-]+)?|s\/[\w-]+|analytics|account)?\/?$/;

/** Pages that show the editor: their workspace is remembered per history entry. */
const EDITOR_PATH = /^\/(?:(?:snippets|s)\/[\w-]+\/?)?$/;

export const isEditorPath = (path: string): boolean => EDITOR_PATH.test(path);

const KEY_FIELD = "crhEntry";

const newKey = (): string => `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;

/** What the app's own links and old share links look like as a path: /#/s/<token> was the address
 * of a page before the app had real ones, and such links are still out there. */
function legacyPath(url: URL): string | null {
  return url.pathname === "/" && url.hash.startsWith("#/") ? url.hash.slice(1) : null;
}

let key = "";

/** Takes the current entry's key, giving it one (and its path form, for an old hash address). */
function adopt(): void {
  const state = (history.state ?? {}) as Record<string, unknown>;
  const legacy = legacyPath(new URL(location.href));
  const existing = typeof state[KEY_FIELD] === "string" ? (state[KEY_FIELD] as string) : null;
  key = existing ?? newKey();
  if (legacy !== null || existing === null) {
    history.replaceState({ ...state, [KEY_FIELD]: key }, "", legacy ?? location.href);
  }
}
adopt();

export const entryKey = (): string => key;

function currentRoute(): string {
  return location.pathname.replace(/(.)\/+$/, "$1");
}

export const route = signal<string>(currentRoute());

/** state.ts hooks in here: it remembers the workspace of the entry left, and restores that of the
 * entry reached by Back or Forward (`revisit`). */
export const navigationHooks = {
  leave: (_key: string): void => undefined,
  arrive: (_key: string, _revisit: boolean): void => undefined,
};

/** Goes to an app page: a new history entry, or (`replace`) the current one's address updated. */
export function navigate(path: string, options: { replace?: boolean } = {}): void {
  if (options.replace) {
    history.replaceState({ ...(history.state ?? {}), [KEY_FIELD]: key }, "", path);
  } else {
    if (path === location.pathname + location.search && !location.hash) return;
    navigationHooks.leave(key);
    key = newKey();
    history.pushState({ [KEY_FIELD]: key }, "", path);
    navigationHooks.arrive(key, false);
  }
  route.value = currentRoute();
}

function revisited(): void {
  navigationHooks.leave(key);
  adopt();
  navigationHooks.arrive(key, true);
  route.value = currentRoute();
}

window.addEventListener("popstate", revisited);
// A fragment navigation to an old address (/#/history while on /) fires this after popstate, which
// has already rewritten it; only browsers that skip popstate for it get here with one.
window.addEventListener("hashchange", () => {
  if (legacyPath(new URL(location.href)) !== null) revisited();
});
// Leaving the app (a reload, a collaborative session's page, sign-in with a provider): Back into
// this entry after a full page load finds its workspace.
window.addEventListener("pagehide", () => navigationHooks.leave(key));

/** The app's own links navigate in place; modified clicks (new tab, new window, download) and links
 * outside the app's pages are the browser's. */
document.addEventListener("click", (event) => {
  if (event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const link = (event.target as Element | null)?.closest?.("a[href]");
  if (!(link instanceof HTMLAnchorElement)) return;
  if ((link.target && link.target !== "_self") || link.hasAttribute("download")) return;
  const url = new URL(link.href);
  if (url.origin !== location.origin) return;
  const path = legacyPath(url) ?? url.pathname + url.search;
  if (!APP_PATH.test(path.split("?")[0])) return;
  event.preventDefault();
  navigate(path);
});
