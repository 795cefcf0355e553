// The project's TypeScript SDK (clients/typescript), as the web app uses it: runs and their live
// streams. Same origin, so the session cookie authenticates (sockets included: no ticket needed);
// requests that change state echo crh_csrf, as every cookie-authenticated change must (docs/api.md).
import { CodeRunHub } from "@coderunhub/client";
import { csrfToken } from "./client";

const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

export const sdk = new CodeRunHub({
  baseUrl: location.origin,
  fetch: (request: Request) => {
    if (!SAFE.has(request.method)) request.headers.set("X-CSRF-Token", csrfToken());
    return fetch(request, { credentials: "same-origin" });
  },
  // A refusal (429 and its countdown) is shown to the person, not waited out behind their back.
  maxRetries: 0,
});
