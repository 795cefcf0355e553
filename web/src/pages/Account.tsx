// Sign in (phone code, Google, GitHub: those the auth service offers), sign out, and API keys.
import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import {
  createKey,
  currentUser,
  listKeys,
  oauthLoginUrl,
  revokeKey,
  SCOPES,
  signInMethods,
  signOut,
  type ApiKey,
  type SignInMethods,
} from "../api/auth";
import { describe } from "../api/client";
import { lazy } from "../components/lazy";

// libphonenumber-js's metadata loads with the sign-in form only, not with the editor.
const PhoneSignIn = lazy(async () => (await import("./PhoneSignIn")).PhoneSignIn);

export function Account() {
  const user = currentUser.value;
  if (user === undefined) return <p>Loading…</p>;
  return user ? <SignedIn /> : <SignIn />;
}

function SignIn() {
  const methods = useSignal<SignInMethods | undefined>(undefined);
  const error = useSignal("");
  useEffect(() => {
    signInMethods().then(
      (found) => (methods.value = found),
      (err: unknown) => {
        // Without the list, the phone form is still worth offering: the service says if it is off.
        error.value = describe(err);
        methods.value = { phone: true, default_phone_region: null, oauth: [] };
      },
    );
  }, []);
  const offered = methods.value;
  return (
    <section class="account" aria-labelledby="signin-title">
      <h1 id="signin-title">Sign in</h1>
      {offered === undefined ? (
        <p class="hint">Loading…</p>
      ) : (
        <>
          {offered.phone && <PhoneSignIn defaultRegion={offered.default_phone_region} />}
          {offered.oauth.length > 0 && (
            <div class="oauth">
              {offered.oauth.map((provider) => (
                <a key={provider.id} class="button" href={oauthLoginUrl(provider.login_url)}>
                  Sign in with {provider.name}
                </a>
              ))}
            </div>
          )}
          {!offered.phone && offered.oauth.length === 0 && (
            <p class="hint">No way of signing in is set up on this site yet: ask its administrator.</p>
          )}
        </>
      )}
      {error.value && (
        <p class="error" role="alert">
          {error.value}
        </p>
      )}
    </section>
  );
}

function SignedIn() {
  const user = currentUser.value!;
  return (
    <section class="account" aria-labelledby="account-title">
      <h1 id="account-title">Account</h1>
      <p>
        Signed in as <strong data-testid="whoami">{user.display_name || user.email || user.phone}</strong>
        {user.role === "admin" && " (administrator)"}.
      </p>
      <button onClick={() => void signOut()}>Sign out</button>
      <ApiKeys />
    </section>
  );
}

function ApiKeys() {
  const keys = useSignal<ApiKey[]>([]);
  const name = useSignal("");
  const scopes = useSignal<string[]>(["executions:read", "executions:write"]);
  const days = useSignal("");
  const created = useSignal("");
  const error = useSignal("");

  const refresh = async () => {
    try {
      keys.value = await listKeys();
    } catch (err) {
      error.value = describe(err);
    }
  };
  useEffect(() => void refresh(), []);

  const create = async (e: Event) => {
    e.preventDefault();
    error.value = "";
    try {
      const key = await createKey(name.value.trim(), scopes.value, days.value ? Number(days.value) : null);
      created.value = key.key;
      name.value = "";
      await refresh();
    } catch (err) {
      error.value = describe(err);
    }
  };

  const revoke = async (key: ApiKey) => {
    if (!window.confirm(`Revoke "${key.name}"? Programs using it stop working at once.`)) return;
    try {
      await revokeKey(key.id);
      await refresh();
    } catch (err) {
      error.value = describe(err);
    }
  };

  const toggle = (scope: string, on: boolean) => {
    scopes.value = on ? [...scopes.value, scope] : scopes.value.filter((s) => s !== scope);
  };

  return (
    <section aria-labelledby="keys-title">
      <h2 id="keys-title">API keys</h2>
      <form onSubmit={create} class="key-form">
        <label>
          Name
          <input name="key-name" value={name.value} onInput={(e) => (name.value = e.currentTarget.value)} required />
        </label>
        <fieldset>
          <legend>Scopes</legend>
          {SCOPES.map((scope) => (
            <label key={scope} class="inline">
              <input
                type="checkbox"
                checked={scopes.value.includes(scope)}
                onChange={(e) => toggle(scope, e.currentTarget.checked)}
              />
              {scope}
            </label>
          ))}
        </fieldset>
        <label>
          Expires in days (optional)
          <input
            type="number"
            min={1}
            max={3650}
            name="key-days"
            value={days.value}
            onInput={(e) => (days.value = e.currentTarget.value)}
          />
        </label>
        <button class="primary" type="submit" disabled={scopes.value.length === 0}>
          Create key
        </button>
      </form>
      {created.value && (
        <div class="notice" role="status">
          <p>Copy this key now: it is shown only once.</p>
          <code data-testid="new-key">{created.value}</code>
        </div>
      )}
      {error.value && (
        <p class="error" role="alert">
          {error.value}
        </p>
      )}
      <table class="keys">
        <caption class="sr-only">Your API keys</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Key</th>
            <th scope="col">Scopes</th>
            <th scope="col">Last used</th>
            <th scope="col">
              <span class="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {keys.value.map((key) => (
            <tr key={key.id}>
              <td>{key.name}</td>
              {/* data-label: each cell's heading on phones, where the rows are cards (styles.css). */}
              <td data-label="Key">
                <code>crh_{key.prefix}_…</code>
              </td>
              <td data-label="Scopes">{key.scopes.join(", ")}</td>
              <td data-label="Last used">{key.last_used_at ? new Date(key.last_used_at).toLocaleString() : "never"}</td>
              <td>
                {key.revoked_at ? (
                  "revoked"
                ) : (
                  <button onClick={() => void revoke(key)} aria-label={`Revoke ${key.name}`}>
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
