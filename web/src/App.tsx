// The shell: navigation, theme, and the pages at their paths (router.ts).
import { currentUser } from "./api/auth";
import { Account } from "./pages/Account";
import { lazy } from "./components/lazy";
import { DraftBar } from "./components/DraftBar";
import { EditorPage } from "./pages/EditorPage";
import { ExecutionDetail, History } from "./pages/History";
import { Snippets } from "./pages/Snippets";
import { useEffect } from "preact/hooks";
import { isEditorPath } from "./router";
import { RETURN_KEY, route, theme } from "./state";

const Analytics = lazy(async () => (await import("./pages/Analytics")).Analytics);
// yjs, y-websocket and y-indexeddb load with the session page only.
const SessionPage = lazy(async () => (await import("./collab/SessionPage")).SessionPage);

const LINKS: [string, string][] = [
  ["/", "Editor"],
  ["/snippets", "Snippets"],
  ["/history", "History"],
  ["/analytics", "Analytics"],
];

function Page({ path }: { path: string }) {
  const [, first, second] = path.split("/");
  if (first === "collab" && second) return <SessionPage id={second} key={second} />;
  if (isEditorPath(path)) return <EditorPage path={path} />;
  if (first === "snippets") return <Snippets />;
  if (first === "history" && second) return <ExecutionDetail id={second} key={second} />;
  if (first === "history") return <History />;
  if (first === "analytics") return <Analytics />;
  if (first === "account") return <Account />;
  return <NotFound />;
}

export function App() {
  const path = route.value;
  // A snippet's page is the editor's.
  const section = isEditorPath(path) ? "/" : "/" + (path.split("/")[1] ?? "");
  const user = currentUser.value;
  useEffect(() => {
    const back = user && sessionStorage.getItem(RETURN_KEY);
    if (!back) return;
    sessionStorage.removeItem(RETURN_KEY);
    if (back.startsWith("/collab/")) location.assign(back);
  }, [user]);
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById("main")?.focus())}>
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="/">
          CodeRunHub
        </a>
        <nav aria-label="Main">
          {LINKS.map(([href, label]) => (
            <a key={href} href={href} aria-current={section === href ? "page" : undefined}>
              {label}
            </a>
          ))}
          <a href="/docs">API docs</a>
        </nav>
        <div class="right">
          <button
            class="icon"
            onClick={() => (theme.value = theme.value === "dark" ? "light" : "dark")}
            aria-label={theme.value === "dark" ? "Use the light theme" : "Use the dark theme"}
            title="Theme"
          >
            {theme.value === "dark" ? "☀" : "☾"}
          </button>
          <a href="/account" aria-current={section === "/account" ? "page" : undefined} data-testid="account-link">
            {user ? (user.display_name || user.phone || user.email || "Account") : user === null ? "Sign in" : "…"}
          </a>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {isEditorPath(path) && <DraftBar />}
        <Page path={path} />
      </main>
    </>
  );
}

function NotFound() {
  return (
    <section aria-label="Not found">
      <h1>No such page</h1>
      <p>
        <a href="/">Open the editor</a>
      </p>
    </section>
  );
}
