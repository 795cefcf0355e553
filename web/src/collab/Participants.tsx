// Who is in the session now (their awareness states): coloured names with their role; at phone
// width only the avatars, in one row (the name stays in the avatar's title and for screen readers).
import type { Presence } from "./session";

export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const letters = words.length > 1 ? [...words[0]][0] + [...words[words.length - 1]][0] : [...(words[0] ?? "?")][0];
  return letters.toUpperCase();
}

const ROLE_LABELS: Record<string, string> = { owner: "owner", editor: "can edit", viewer: "view only" };

export function Participants({ people }: { people: Presence[] }) {
  return (
    <ul class="participants" aria-label="Participants" data-testid="participants">
      {people.map((person) => {
        const role = ROLE_LABELS[person.role] ?? person.role;
        const label = `${person.name}${person.self ? " (you)" : ""}${role ? `, ${role}` : ""}`;
        return (
          <li key={person.clientId} class="participant" title={label} data-role={person.role} data-self={person.self}>
            <span class="avatar" style={{ backgroundColor: person.color }} aria-hidden="true">
              {initials(person.name)}
            </span>
            <span class="who">
              <span class="name" style={{ borderColor: person.color }}>
                {person.name}
                {person.self && <span class="you"> (you)</span>}
              </span>
              {role && <span class="role">{role}</span>}
            </span>
          </li>
        );
      })}
    </ul>
  );
}
