// The owner's share dialog: invite links (view or edit) to copy, the invites to revoke, a user to
// name by their id (no link needed), the participants with their role and a revoke button, guests
// on or off, and ending the session.
import { useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import { describe } from "../api/client";
import {
  createInvite,
  endSession,
  getSession,
  listInvites,
  revokeInvite,
  revokeParticipant,
  setRole,
  updateSession,
  type Invite,
  type InviteRole,
  type SessionInfo,
} from "./api";

interface Props {
  info: SessionInfo;
  onChange: (info: SessionInfo) => void;
  onClose: () => void;
}

const ROLE_NAMES: Record<InviteRole, string> = { viewer: "View", editor: "Edit" };
const USER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function ShareDialog({ info, onChange, onClose }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  const invites = useSignal<Invite[]>([]);
  /** Links made while the dialog is open (a token is only in the answer that created it). */
  const fresh = useSignal<Invite[]>([]);
  const copied = useSignal("");
  const busy = useSignal(false);
  const message = useSignal("");
  const ended = info.status === "ended";
  const userId = useSignal("");
  const userRole = useSignal<InviteRole>("editor");
  const named = useSignal("");

  const act = async (what: () => Promise<unknown>) => {
    busy.value = true;
    message.value = "";
    try {
      await what();
    } catch (error) {
      message.value = describe(error);
    } finally {
      busy.value = false;
    }
  };

  const reload = () =>
    act(async () => {
      const [session, list] = await Promise.all([getSession(info.id), listInvites(info.id)]);
      onChange(session);
      invites.value = list;
    });

  useEffect(() => {
    dialog.current?.showModal();
    void reload();
  }, []);

  const create = (role: InviteRole) =>
    act(async () => {
      const invite = await createInvite(info.id, role);
      fresh.value = [invite, ...fresh.value];
      invites.value = [...invites.value, invite];
    });

  const copy = async (invite: Invite) => {
    const url = invite.url ?? "";
    try {
      await navigator.clipboard.writeText(url);
    } catch {
      // No clipboard permission (an insecure origin, say): select the text for Ctrl+C instead.
      const input = document.getElementById(`invite-${invite.id}`) as HTMLInputElement | null;
      input?.select();
    }
    copied.value = invite.id;
  };

  const revokeLink = (invite: Invite) =>
    act(async () => {
      await revokeInvite(info.id, invite.id);
      invites.value = await listInvites(info.id);
      fresh.value = fresh.value.filter((i) => i.id !== invite.id);
    });

  const changeRole = (userId: string, role: InviteRole) =>
    act(async () => {
      await setRole(info.id, userId, role);
      onChange(await getSession(info.id));
    });

  const nameUser = (e: Event) => {
    e.preventDefault();
    named.value = "";
    const wanted = userId.value.trim();
    if (!USER_ID.test(wanted)) {
      message.value = "A user id looks like 0190c7a2-5b1e-7c3d-8e4f-a1b2c3d4e5f6.";
      return;
    }
    void act(async () => {
      const participant = await setRole(info.id, wanted, userRole.value);
      onChange(await getSession(info.id));
      userId.value = "";
      named.value = `${participant.display_name} may now open this session's page and ${
        participant.role === "editor" ? "edit" : "watch"
      }.`;
    });
  };

  const revoke = (participantId: string, name: string) =>
    act(async () => {
      if (!window.confirm(`Remove ${name} from the session?`)) return;
      await revokeParticipant(info.id, participantId);
      onChange(await getSession(info.id));
    });

  // Shown at once; put back if the change fails.
  const guests = useSignal(info.allow_anonymous);
  const toggleGuests = (allow: boolean) => {
    guests.value = allow;
    void act(async () => {
      try {
        onChange(await updateSession(info.id, { allow_anonymous: allow }));
      } catch (error) {
        guests.value = !allow;
        throw error;
      }
    });
  };

  const end = () =>
    act(async () => {
      if (!window.confirm("End the session for everyone? Nobody can edit it afterwards.")) return;
      await endSession(info.id);
      onChange(await getSession(info.id));
    });

  const live = invites.value.filter((i) => !i.revoked_at);

  return (
    <dialog
      ref={dialog}
      class="share-dialog"
      aria-labelledby="share-title"
      onClose={onClose}
      onCancel={(e) => (e.preventDefault(), onClose())}
    >
      <div class="dialog-head">
        <h2 id="share-title">Share this session</h2>
        <button class="icon" aria-label="Close" onClick={onClose}>
          ×
        </button>
      </div>

      <section aria-label="Invite links">
        <p class="hint">
          Anyone with an edit link (and an account) can change the code; a view link only shows it. Links last 7 days.
        </p>
        <div class="row">
          <button onClick={() => void create("viewer")} disabled={busy.value || ended}>
            Create view link
          </button>
          <button onClick={() => void create("editor")} disabled={busy.value || ended}>
            Create edit link
          </button>
        </div>
        {fresh.value.map((invite) => (
          <div class="invite-link" key={invite.id}>
            <label>
              {ROLE_NAMES[invite.role]} link
              <input
                id={`invite-${invite.id}`}
                readOnly
                value={invite.url ?? ""}
                name={`${invite.role}-link`}
                onFocus={(e) => e.currentTarget.select()}
              />
            </label>
            <button
              onClick={() => void copy(invite)}
              aria-label={`Copy the ${ROLE_NAMES[invite.role].toLowerCase()} link`}
            >
              {copied.value === invite.id ? "Copied" : "Copy"}
            </button>
          </div>
        ))}
      </section>

      {live.length > 0 && (
        <section aria-label="Active links">
          <h3>Active links</h3>
          <ul class="plain">
            {live.map((invite) => (
              <li key={invite.id}>
                <span>
                  {ROLE_NAMES[invite.role]} link · used {invite.uses}
                  {invite.max_uses ? ` of ${invite.max_uses}` : ""} time{invite.uses === 1 ? "" : "s"}
                  {invite.expires_at ? ` · until ${new Date(invite.expires_at).toLocaleDateString()}` : ""}
                </span>
                <button onClick={() => void revokeLink(invite)} disabled={busy.value}>
                  Revoke link
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}

      <section aria-label="Name a user">
        <h3>Name a user</h3>
        <form class="row name-user" onSubmit={nameUser}>
          <label>
            User id
            <input
              name="user-id"
              value={userId.value}
              autoComplete="off"
              spellcheck={false}
              placeholder="0190c7a2-5b1e-7c3d-…"
              disabled={ended}
              onInput={(e) => (userId.value = e.currentTarget.value)}
            />
          </label>
          <label>
            Role
            <select
              name="user-role"
              value={userRole.value}
              disabled={ended}
              onChange={(e) => (userRole.value = e.currentTarget.value as InviteRole)}
            >
              <option value="editor">can edit</option>
              <option value="viewer">view only</option>
            </select>
          </label>
          <button type="submit" disabled={busy.value || ended || !userId.value.trim()}>
            Add
          </button>
        </form>
        <p class="hint">
          A signed-in user with this account id joins without a link, from this page&apos;s address. Naming someone
          already here changes their role.
        </p>
        {named.value && (
          <p class="notice" role="status">
            {named.value}
          </p>
        )}
      </section>

      <section aria-label="People">
        <h3>People</h3>
        <ul class="plain people">
          {info.participants.map((p) => (
            <li key={p.id} class={p.revoked_at ? "revoked" : ""}>
              <span class="dot" style={{ backgroundColor: p.color }} aria-hidden="true" />
              <span class="person">{p.display_name}</span>
              {p.is_owner ? (
                <span class="hint">owner</span>
              ) : p.revoked_at ? (
                <span class="hint">removed</span>
              ) : (
                <>
                  {p.user_id ? (
                    <select
                      aria-label={`Role of ${p.display_name}`}
                      value={p.role}
                      disabled={busy.value || ended}
                      onChange={(e) => void changeRole(p.user_id!, e.currentTarget.value as InviteRole)}
                    >
                      <option value="editor">can edit</option>
                      <option value="viewer">view only</option>
                    </select>
                  ) : (
                    <span class="hint">guest, view only</span>
                  )}
                  <button
                    onClick={() => void revoke(p.id, p.display_name)}
                    disabled={busy.value}
                    aria-label={`Remove ${p.display_name}`}
                  >
                    Remove
                  </button>
                </>
              )}
            </li>
          ))}
        </ul>
      </section>

      <section aria-label="Settings">
        <label class="inline">
          <input
            type="checkbox"
            name="allow-anonymous"
            checked={guests.value}
            disabled={ended}
            onChange={(e) => toggleGuests(e.currentTarget.checked)}
          />
          Guests without an account may watch (view only)
        </label>
      </section>

      {message.value && (
        <p class="error" role="alert">
          {message.value}
        </p>
      )}

      <div class="dialog-foot">
        <button class="danger" onClick={() => void end()} disabled={busy.value || ended}>
          {ended ? "Session ended" : "End session"}
        </button>
        <button onClick={onClose}>Done</button>
      </div>
    </dialog>
  );
}
