// Sign in (phone code, Google, GitHub), sign out, and API keys.
import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import {
  createKey,
  currentUser,
  listKeys,
  oauthLoginUrl,
  revokeKey,
  SCOPES,
  signOut,
  startPhone,
  verifyPhone,
  type ApiKey,
} from "../api/auth";
import { describe } from "../api/client";

export function Account() {
  const user = currentUser.value;
  if (user === undefined) return <p>Loading…</p>;
  return user ? <SignedIn /> : <SignIn />;
}

function SignIn() {
  const phone = useSignal("");
  const code = useSignal("");
  const sentTo = useSignal("");
  const error = useSignal("");
  const busy = useSignal(false);

  const send = async (e: Event) => {
    e.preventDefault();
    busy.value = true;
    error.value = "";
    try {
      sentTo.value = (await startPhone(phone.value.trim())).phone;
    } catch (err) {
      error.value = describe(err);
    } finally {
      busy.value = false;
    }
  };

  const verify = async (e: Event) => {
    e.preventDefault();
    busy.value = true;
    error.value = "";
    try {
      await verifyPhone(sentTo.value, code.value.trim());
    } catch (err) {
      error.value = describe(err);
    } finally {
      busy.value = false;
    }
  };

  return (
    <section class="account" aria-labelledby="signin-title">
      <h1 id="signin-title">Sign in</h1>
      {!sentTo.value ? (
        <form onSubmit={send}>
          <label>
            Phone number
            <input
              type="tel"
              name="phone"
              autoComplete="tel"
              placeholder="+1 415 555 2671"
              value={phone.value}
              onInput={(e) => (phone.value = e.currentTarget.value)}
              required
            />
          </label>
          <button class="primary" type="submit" disabled={busy.value}>
            Send code
          </button>
        </form>
      ) : (
        <form onSubmit={verify}>
          <p>We sent a code to {sentTo.value}.</p>
          <label>
            Code
            <input
              name="code"
              inputMode="numeric"
              autoComplete="one-time-code"
              value={code.value}
              onInput={(e) => (code.value = e.currentTarget.value)}
              required
            />
          </label>
          <button class="primary" type="submit" disabled={busy.value}>
            Verify and sign in
          </button>
          <button type="button" onClick={() => (sentTo.value = "")}>
            Use another number
          </button>
        </form>
      )}
      {error.value && (
        <p class="error" role="alert">
          {error.value}
        </p>
      )}
      <div class="oauth">
        <a class="button" href={oauthLoginUrl("google")}>
          Sign in with Google
        </a>
        <a class="button" href={oauthLoginUrl("github")}>
          Sign in with GitHub
        </a>
      </div>
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
