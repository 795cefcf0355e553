// The auth service (/auth/v1 on this origin): sign-in methods, phone codes, OAuth links, sign-out, API keys.
import { signal } from "@preact/signals";
import { ApiError, call, csrfToken } from "./client";

export interface User {
  id: string;
  display_name: string | null;
  email: string | null;
  phone: string | null;
  role: "user" | "admin";
  created_at: string;
}

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

export const SCOPES = [
  "executions:read",
  "executions:write",
  "snippets:read",
  "snippets:write",
  "account:read",
] as const;

/** undefined while the first check runs, null when signed out. */
export const currentUser = signal<User | null | undefined>(undefined);

// When the access cookie expires (it lives expires_in seconds), the refresh cookie renews it. The
// expiry is remembered here so the app renews first instead of making a request that fails with 401.
const EXPIRES_KEY = "crh.session.expires";
let refreshTimer: number | undefined;

function noteSession(body: { expires_in?: number } | undefined): void {
  if (!body?.expires_in) return;
  const expires = Date.now() + body.expires_in * 1000;
  localStorage.setItem(EXPIRES_KEY, String(expires));
  window.clearTimeout(refreshTimer);
  refreshTimer = window.setTimeout(() => void refresh(), Math.max(5_000, expires - Date.now() - 60_000));
}

function accessExpired(): boolean {
  return Number(localStorage.getItem(EXPIRES_KEY) ?? 0) - 30_000 < Date.now();
}

async function refresh(): Promise<boolean> {
  try {
    noteSession(await call<{ expires_in: number }>("POST", "/auth/v1/token/refresh", { session: "cookie" }));
    return true;
  } catch {
    return false;
  }
}

export async function loadUser(): Promise<void> {
  // No session cookies at all: signed out, without a request that could only fail.
  if (!csrfToken() || (accessExpired() && !(await refresh()))) {
    currentUser.value = null;
    return;
  }
  try {
    currentUser.value = await call<User>("GET", "/auth/v1/me");
    if (!refreshTimer) noteSession({ expires_in: (Number(localStorage.getItem(EXPIRES_KEY)) - Date.now()) / 1000 });
  } catch (error) {
    currentUser.value = null;
    if (!(error instanceof ApiError)) throw error;
  }
}

/** The ways of signing in this site offers (GET /auth/v1/providers). */
export interface SignInMethods {
  phone: boolean;
  /** ISO 3166-1 alpha-2: the country the server assumes for numbers without +country code. */
  default_phone_region: string | null;
  oauth: { id: string; name: string; login_url: string }[];
}

export const signInMethods = () => call<SignInMethods>("GET", "/auth/v1/providers");

/** `region` (ISO 3166-1 alpha-2) says whose national format `phone` is in when it has no +country code. */
export async function startPhone(phone: string, region: string | null): Promise<{ phone: string; provider: string }> {
  return call("POST", "/auth/v1/phone/start", region ? { phone, region } : { phone });
}

export async function verifyPhone(phone: string, code: string): Promise<void> {
  noteSession(await call<{ expires_in: number }>("POST", "/auth/v1/phone/verify", { phone, code, session: "cookie" }));
  await loadUser();
}

export async function signOut(): Promise<void> {
  try {
    await call("POST", "/auth/v1/logout");
  } finally {
    window.clearTimeout(refreshTimer);
    refreshTimer = undefined;
    localStorage.removeItem(EXPIRES_KEY);
    currentUser.value = null;
  }
}

/** A provider's login link (`login_url` from signInMethods), coming back to the app's start. */
export function oauthLoginUrl(loginUrl: string): string {
  return `${loginUrl}?redirect_to=${encodeURIComponent("/")}`;
}

export const listKeys = () => call<ApiKey[]>("GET", "/auth/v1/api-keys");
export const createKey = (name: string, scopes: string[], expiresInDays: number | null) =>
  call<ApiKey & { key: string }>("POST", "/auth/v1/api-keys", { name, scopes, expires_in_days: expiresInDays });
export const revokeKey = (id: string) => call<void>("DELETE", `/auth/v1/api-keys/${id}`);
