// A live session, at /collab/<id> (an invite link adds #k=<token>): join it (asking a guest for a
// name first), then edit the shared files together, each one's cursor named and coloured. The
// owner shares it, saves it to the snippet and ends it; viewers only watch. An editor runs the code
// for everyone: every page shows that run's output as it streams.
import { useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import { currentUser } from "../api/auth";
import { ApiError, describe } from "../api/client";
import { RETURN_KEY, theme } from "../state";
import {
  getRtcConfig,
  getSession,
  joinSession,
  saveSession,
  type Joined,
  type SessionInfo,
  type SharedRun,
} from "./api";
import { CollabEditor } from "./CollabEditor";
import { Participants } from "./Participants";
import { RunPanel } from "./RunPanel";
import { SharedRuns } from "./runs";
import { CollabSession, type Status } from "./session";
import { ShareDialog } from "./ShareDialog";
import { VoiceBar } from "./VoiceBar";
import { PeerLinks } from "./webrtc";

type Phase = "waiting" | "name" | "joining" | "signin" | "failed" | "live";

const NAME_KEY = "crh.collab.name";
const JOINED_KEY = "crh.collab.joined";

const STATUS_LABELS: Record<Status, string> = {
  connecting: "Connecting…",
  connected: "Live",
  offline: "Offline: your edits are kept here and sent when the connection is back",
  ended: "Ended",
  refused: "Closed",
};

function inviteToken(): string | null {
  return new URLSearchParams(location.hash.slice(1)).get("k");
}

function joinedBefore(id: string): boolean {
  return (localStorage.getItem(JOINED_KEY) ?? "").split(",").includes(id);
}

function rememberJoined(id: string): void {
  const ids = (localStorage.getItem(JOINED_KEY) ?? "").split(",").filter(Boolean);
  localStorage.setItem(JOINED_KEY, [...ids.filter((x) => x !== id), id].slice(-50).join(","));
}

export function SessionPage({ id }: { id: string }) {
  const phase = useSignal<Phase>("waiting");
  const problem = useSignal("");
  const name = useSignal(localStorage.getItem(NAME_KEY) ?? "");
  const info = useSignal<SessionInfo | null>(null);
  const live = useSignal<CollabSession | null>(null);
  const active = useSignal("");
  const sharing = useSignal(false);
  const runs = useSignal<SharedRuns | null>(null);
  const links = useSignal<PeerLinks | null>(null);
  const stdin = useSignal("");
  /** The last save, as the owner's answer or a `saved` event tells it. */
  const saved = useSignal("");
  const saving = useSignal(false);
  const saveProblem = useSignal("");
  const myId = useRef("");
  const invite = useRef(inviteToken());
  const user = currentUser.value;

  const connect = (joined: Joined) => {
    info.value = joined.session;
    const me = {
      participantId: joined.participant.id,
      name: joined.participant.display_name,
      color: joined.participant.color,
      role: joined.session.you.role,
    };
    // A socket refused before it opens looks like a network error to the browser: ask the API.
    const probe = async () => {
      try {
        const now = await getSession(id);
        info.value = now;
        return now.status === "ended" ? { status: "ended" as const, message: "The owner ended this session." } : null;
      } catch (error) {
        if (error instanceof ApiError && (error.status === 403 || error.status === 404)) {
          return { status: "refused" as const, message: describe(error) };
        }
        return null;
      }
    };
    myId.current = me.participantId;
    const session = new CollabSession(id, me, probe);
    // The runner's colour: the run event says it; a run fetched or started here looks it up.
    const colorOf = (run: SharedRun) =>
      info.value?.participants.find((p) => p.id === run.runner_participant_id)?.color ??
      session.people.value.find((p) => p.name === run.runner_name)?.color ??
      null;
    runs.value = new SharedRuns(id, session, colorOf);
    session.onEvent((event) => {
      if (event.type !== "saved" || typeof event.revision !== "number") return;
      saved.value =
        info.value?.you.role === "owner"
          ? `Saved as revision ${event.revision} of the snippet.`
          : `The owner saved this code as revision ${event.revision} of the snippet.`;
    });
    live.value = session;
    phase.value = "live";
    session.connect();
    void startPeerLinks(session);
  };

  // Peer to peer beside the socket; without it (turned off on the server, or the call failed)
  // everything still goes through the server.
  const startPeerLinks = async (session: CollabSession) => {
    let config;
    try {
      config = await getRtcConfig(id);
    } catch {
      return;
    }
    if (live.value !== session || session.status.value === "ended" || session.status.value === "refused") return;
    let refreshing = false;
    const refresh = (participantId: string) => {
      if (refreshing || info.value?.participants.some((p) => p.id === participantId)) return;
      refreshing = true;
      void getSession(id)
        .then((now) => (info.value = now))
        .catch(() => {})
        .finally(() => (refreshing = false));
    };
    links.value = new PeerLinks(session, config, refresh, () => getRtcConfig(id));
  };

  const join = async (displayName: string | null) => {
    phase.value = "joining";
    problem.value = "";
    try {
      if (displayName) localStorage.setItem(NAME_KEY, displayName);
      const joined = await joinSession(id, invite.current, displayName);
      rememberJoined(id);
      // The invite did its work: keep it out of the address bar, history and screen shares.
      if (invite.current) history.replaceState(null, "", location.pathname + location.search);
      invite.current = null;
      connect(joined);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        phase.value = "signin";
      } else {
        phase.value = "failed";
        problem.value =
          error instanceof ApiError && error.status === 404
            ? "This session does not exist, or you need an invite link to join it."
            : describe(error);
      }
    }
  };

  // Once we know who is signed in: join, after asking a new guest (or a user without a profile
  // name) what to be called.
  useEffect(() => {
    if (user === undefined || phase.value !== "waiting") return;
    const needsName = !!invite.current && !user?.display_name && !joinedBefore(id);
    if (needsName) phase.value = "name";
    else void join(null);
  }, [user]);

  useEffect(
    () => () => {
      runs.value?.destroy();
      links.value?.destroy();
      live.value?.destroy();
    },
    [],
  );

  // The first file once the document arrives, and again if the one shown goes away.
  const session = live.value;
  const order = session?.order.value ?? [];
  useEffect(() => {
    if (order.length && !order.includes(active.value)) active.value = order[0];
  }, [order.join("\0")]);

  const signIn = () => {
    sessionStorage.setItem(RETURN_KEY, location.pathname + location.hash);
    location.assign("/account");
  };

  const status = session?.status.value ?? "connecting";
  const role = session?.role.value ?? info.value?.you.role ?? "viewer";
  const over = status === "ended" || status === "refused";
  const peerLinks = links.value;
  const directPeers = peerLinks?.documentPeers.value ?? 0;
  useEffect(() => {
    if (over) peerLinks?.destroy();
    else peerLinks?.roleChanged(role);
  }, [over, role, peerLinks]);
  const editable = role !== "viewer" && !over;
  const owner = info.value?.you.role === "owner";
  const shared = runs.value;

  // Each time the socket is (back) in the session: the run going on (or the last one), in case
  // its `run` event came while this page was away.
  useEffect(() => {
    if (status === "connected") void shared?.load();
  }, [status, shared]);

  const save = async () => {
    saving.value = true;
    saveProblem.value = "";
    try {
      const out = await saveSession(id);
      saved.value = out.saved
        ? `Saved as revision ${out.revision} of the snippet.`
        : `No changes: revision ${out.revision} of the snippet already holds this code.`;
    } catch (error) {
      saveProblem.value = `Could not save: ${describe(error)}`;
    } finally {
      saving.value = false;
    }
  };

  // The Y.Map is not a signal: filesChanged stands for it.
  const shownText =
    session && session.filesChanged.value >= 0 && order.includes(active.value)
      ? session.files.get(active.value)
      : undefined;

  if (phase.value !== "live" || !session) {
    return (
      <section class="collab" aria-label="Live session">
        <h1>Live session</h1>
        {(phase.value === "waiting" || phase.value === "joining") && <p class="hint">Joining…</p>}
        {phase.value === "name" && (
          <form
            class="join-form"
            onSubmit={(e) => {
              e.preventDefault();
              void join(name.value.trim() || null);
            }}
          >
            <p>You were invited to a live coding session.</p>
            <label>
              Your name (shown to the others)
              <input
                name="display-name"
                value={name.value}
                maxLength={64}
                autoFocus
                placeholder={user ? "Your name" : "Guest"}
                onInput={(e) => (name.value = e.currentTarget.value)}
              />
            </label>
            <button class="primary" type="submit">
              Join
            </button>
            {!user && (
              <p class="hint">
                Guests can watch. <a href="/account" onClick={(e) => (e.preventDefault(), signIn())}>Sign in</a> to
                edit with an edit link.
              </p>
            )}
          </form>
        )}
        {phase.value === "signin" && (
          <div class="notice">
            <p>This session admits signed-in users only.</p>
            <button class="primary" onClick={signIn}>
              Sign in to join
            </button>
          </div>
        )}
        {phase.value === "failed" && (
          <div class="error" role="alert">
            {problem.value}
          </div>
        )}
      </section>
    );
  }

  return (
    <section class="collab" aria-label="Live session">
      <div class="collab-head">
        <h1>Live session</h1>
        <span class={`badge ${status}`} data-testid="collab-status" role="status">
          {status === "offline" && directPeers
            ? `Offline: your edits still reach ${directPeers} ${directPeers === 1 ? "editor" : "editors"} directly, and the server once it is back`
            : STATUS_LABELS[status]}
        </span>
        <Participants people={session.people.value} />
        <div class="collab-actions">
          {owner && (
            <button
              onClick={() => void save()}
              disabled={over || saving.value}
              title="Store the code as the snippet's next revision"
            >
              {saving.value ? "Saving…" : "Save to snippet"}
            </button>
          )}
          {owner && (
            <button onClick={() => (sharing.value = true)} disabled={over}>
              Share
            </button>
          )}
        </div>
      </div>
      {peerLinks && !over && <VoiceBar links={peerLinks} info={info.value} editor={role !== "viewer"} />}
      {over && (
        <div class="error" role="alert" data-testid="collab-over">
          {session.message.value} The code stays on this page; it no longer updates.
        </div>
      )}
      {!over && session.message.value && (
        <div class="error" role="alert">
          {session.message.value}
        </div>
      )}
      {!over && role === "viewer" && (
        <p class="hint">You are watching: only editors can change and run the code; you see their runs here.</p>
      )}
      {saveProblem.value && (
        <div class="error" role="alert">
          {saveProblem.value}
        </div>
      )}
      {saved.value && (
        <p class="notice saved-notice" role="status" data-testid="collab-saved">
          <span>{saved.value}</span>
          <button class="icon" aria-label="Dismiss" onClick={() => (saved.value = "")}>
            ×
          </button>
        </p>
      )}
      <div class="tabs" role="tablist" aria-label="Files">
        {order.map((file) => (
          <div class={file === active.value ? "tab active" : "tab"} key={file}>
            <button role="tab" aria-selected={file === active.value} onClick={() => (active.value = file)}>
              {file}
            </button>
          </div>
        ))}
      </div>
      {shownText ? (
        <CollabEditor
          session={session}
          text={shownText}
          name={active.value}
          language={session.language.value}
          theme={theme.value}
          editable={editable}
          live={!over}
          onRun={editable && shared ? () => void shared.start(stdin.value) : undefined}
        />
      ) : (
        <div class="editor placeholder">
          <p class="hint">{over ? "No document." : "Loading the document…"}</p>
        </div>
      )}
      {editable && shared && (
        <div class="run-bar">
          <label class="stdin">
            Standard input (optional)
            <textarea
              name="stdin"
              rows={2}
              value={stdin.value}
              spellcheck={false}
              onInput={(e) => (stdin.value = e.currentTarget.value)}
            />
          </label>
          <label class="interactive">
            <input
              type="checkbox"
              name="interactive"
              checked={shared.interactive.value}
              onChange={(e) => (shared.interactive.value = e.currentTarget.checked)}
            />{" "}
            Interactive (editors type its input as it runs)
          </label>
          <div class="run-buttons">
            <button
              class="primary"
              onClick={() => void shared.start(stdin.value)}
              disabled={shared.busy.value}
              title="Run for everyone (Ctrl/Cmd+Enter)"
            >
              ▶ Run
            </button>
            <button onClick={() => void shared.stop()} disabled={!shared.going.value || shared.busy.value}>
              ■ Stop
            </button>
          </div>
        </div>
      )}
      {editable && shared?.conflict.value && (
        <div class="notice run-conflict" role="alert">
          <span>
            {shared.run.value ? `${shared.run.value.runner_name}'s run` : "Another run"} is still going. Stop it and
            run yours?
          </span>
          <button onClick={() => void shared.start(stdin.value, true)} disabled={shared.busy.value}>
            Stop and run
          </button>
          <button onClick={() => shared.dismissConflict()}>Keep it</button>
        </div>
      )}
      {shared?.message.value && (
        <div class="error" role="alert">
          {shared.message.value}
        </div>
      )}
      {shared && (
        <RunPanel
          runs={shared}
          me={myId.current}
          editor={editable}
          onSelect={(d) => {
            if (order.includes(d.file)) active.value = d.file;
          }}
        />
      )}
      {sharing.value && info.value && (
        <ShareDialog
          info={info.value}
          onChange={(next) => (info.value = next)}
          onClose={() => (sharing.value = false)}
        />
      )}
    </section>
  );
}
