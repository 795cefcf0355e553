// The collaborative sessions REST API (typed from the gateway's OpenAPI), as the session page,
// the share dialog and the snippet bar call it.
import { api, unwrap, type Schemas } from "../api/client";

export type SessionInfo = Schemas["SessionOut"];
export type Invite = Schemas["InviteOut"];
export type Joined = Schemas["JoinOut"];
export type InviteRole = Schemas["InviteCreate"]["role"];
export type SharedRun = Schemas["SharedRunOut"];
export type Saved = Schemas["SaveOut"];

const session = (id: string) => ({ params: { path: { session_id: id } } });

/** The snippet's open session, or a new one (its owner only); guests are let in from the share dialog. */
export const startSession = (snippetId: string) =>
  unwrap(
    api.POST("/v1/snippets/{snippet_id}/sessions", {
      params: { path: { snippet_id: snippetId } },
      body: { allow_anonymous: false },
    }),
  );

/** How long an invite link admits people (the server's default too). */
export const INVITE_TTL_S = 7 * 86_400;

export const getSession = (id: string) => unwrap(api.GET("/v1/collab/sessions/{session_id}", session(id)));

export const updateSession = (id: string, body: Schemas["SessionUpdate"]) =>
  unwrap(api.PATCH("/v1/collab/sessions/{session_id}", { ...session(id), body }));

export const endSession = (id: string) => unwrap(api.DELETE("/v1/collab/sessions/{session_id}", session(id)));

export const joinSession = (id: string, invite: string | null, displayName: string | null) =>
  unwrap(
    api.POST("/v1/collab/sessions/{session_id}/join", {
      ...session(id),
      body: { ...(invite ? { invite } : {}), ...(displayName ? { display_name: displayName } : {}) },
    }),
  );

export const createInvite = (id: string, role: InviteRole) =>
  unwrap(
    api.POST("/v1/collab/sessions/{session_id}/invites", { ...session(id), body: { role, expires_in_s: INVITE_TTL_S } }),
  );

export const listInvites = (id: string) => unwrap(api.GET("/v1/collab/sessions/{session_id}/invites", session(id)));

export const revokeInvite = (id: string, inviteId: string) =>
  unwrap(
    api.DELETE("/v1/collab/sessions/{session_id}/invites/{invite_id}", {
      params: { path: { session_id: id, invite_id: inviteId } },
    }),
  );

export const setRole = (id: string, userId: string, role: InviteRole) =>
  unwrap(
    api.PUT("/v1/collab/sessions/{session_id}/users/{user_id}", {
      params: { path: { session_id: id, user_id: userId } },
      body: { role },
    }),
  );

export const revokeParticipant = (id: string, participantId: string) =>
  unwrap(
    api.DELETE("/v1/collab/sessions/{session_id}/participants/{participant_id}", {
      params: { path: { session_id: id, participant_id: participantId } },
    }),
  );

/** Run the document as it stands, for everyone (editors); `replace` cancels a run still going;
 * `interactive`: editors type its input as it runs (`typeInput`). */
export const startRun = (id: string, stdin: string, replace = false, interactive = false) =>
  unwrap(
    api.POST("/v1/collab/sessions/{session_id}/runs", {
      ...session(id),
      body: { stdin, args: [], replace, interactive },
    }),
  );

/** Input for an interactive shared run (editors); `eof` closes its standard input. */
export const typeInput = (id: string, executionId: string, data: string, eof = false) =>
  unwrap(
    api.POST("/v1/collab/sessions/{session_id}/runs/{execution_id}/input", {
      params: { path: { session_id: id, execution_id: executionId } },
      body: { data, eof },
    }),
  );

/** The current (or last) run; null before the first. */
export const currentRun = (id: string) =>
  unwrap(api.GET("/v1/collab/sessions/{session_id}/runs/current", session(id)));

export const cancelRun = (id: string, executionId: string) =>
  unwrap(
    api.POST("/v1/collab/sessions/{session_id}/runs/{execution_id}/cancel", {
      params: { path: { session_id: id, execution_id: executionId } },
    }),
  );

/** The document as the snippet's next revision (the owner). */
export const saveSession = (id: string) => unwrap(api.POST("/v1/collab/sessions/{session_id}/save", session(id)));

/** The session page's path (links.web is absolute; the app stays on its own origin). */
export function sessionPath(info: SessionInfo): string {
  return new URL(info.links.web, location.href).pathname;
}

export type RtcConfig = Schemas["RtcConfig"];

/** Where and how to meet the session's other participants peer to peer (signaling, rooms, ICE). */
export const getRtcConfig = (id: string) => unwrap(api.GET("/v1/collab/sessions/{session_id}/rtc", session(id)));
