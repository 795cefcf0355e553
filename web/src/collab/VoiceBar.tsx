// The session's peer-to-peer line: how many editors this page reaches directly (the document also
// travels that way), and voice: off until the participant joins it (the browser asks for the
// microphone then), with mute and leave, and each other voice's state and level.
import type { SessionInfo } from "./api";
import type { PeerLinks, RemoteVoice } from "./webrtc";

function who(info: SessionInfo | null, remote: RemoteVoice) {
  const person = info?.participants.find((p) => p.id === remote.participantId);
  return { name: person?.display_name ?? "Someone", color: person?.color ?? "#71717a" };
}

export function VoiceBar({ links, info, editor }: { links: PeerLinks; info: SessionInfo | null; editor: boolean }) {
  const voice = links.voice.value;
  const peers = links.documentPeers.value;
  const muted = links.muted.value;
  return (
    <div class="voice-bar" aria-label="Peer to peer and voice">
      {editor && (
        <span class="p2p-status" data-testid="p2p-status" data-peers={peers} title="Edits also travel directly between your browsers">
          {peers
            ? `Peer to peer with ${peers} ${peers === 1 ? "editor" : "editors"}`
            : "Peer to peer: no other editor connected"}
        </span>
      )}
      {voice !== "on" ? (
        <button
          onClick={() => void links.joinVoice()}
          disabled={voice === "asking"}
          title="Talk with the other participants who joined voice: your browser asks for the microphone"
        >
          {voice === "asking" ? "Asking for the microphone…" : "Join voice"}
        </button>
      ) : (
        <>
          <button aria-pressed={muted} onClick={() => links.setMuted(!muted)} data-testid="voice-mute">
            {muted ? "Unmute" : "Mute"}
          </button>
          <button onClick={() => links.leaveVoice()}>Leave voice</button>
        </>
      )}
      {links.documentStopped.value && (
        <span class="error" role="alert" data-testid="p2p-stopped">
          {links.documentStopped.value}
        </span>
      )}
      {voice === "denied" && (
        <span class="error" role="alert">
          The microphone is blocked for this site: allow it in the browser's site settings, then join again.
        </span>
      )}
      {voice === "failed" && (
        <span class="error" role="alert">
          No microphone could be opened.
        </span>
      )}
      {voice === "on" && (
        <ul class="voices" aria-label="Voices" data-testid="voices">
          {links.remotes.value.length === 0 && <li class="hint">Nobody else has joined voice yet.</li>}
          {links.remotes.value.map((remote) => {
            const person = who(info, remote);
            const state = remote.state === "connected" ? (remote.muted ? "muted" : "connected") : "connecting…";
            return (
              <li
                key={remote.peer}
                class="voice"
                data-testid="voice-peer"
                data-name={person.name}
                data-state={remote.state}
                data-muted={remote.muted}
                data-level={remote.level.toFixed(4)}
              >
                <span class="name" style={{ borderColor: person.color }}>
                  {person.name}
                </span>
                <span class="state">{state}</span>
                <meter
                  min={0}
                  max={0.3}
                  value={Math.min(remote.level, 0.3)}
                  aria-label={`${person.name}'s voice level`}
                />
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}
