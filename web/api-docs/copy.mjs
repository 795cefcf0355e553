// Part of `npm run build`: copies Swagger UI's and ReDoc's browser bundles (exact-pinned
// devDependencies) and Swagger UI's starter into dist/api-docs/. The gateway's /docs and /redoc
// load them from there (services/gateway/apidocs.py): same origin, so the pages work without
// internet access and under the deployment's content policy (script-src 'self').
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";

const web = new URL("../", import.meta.url);
const out = new URL("dist/api-docs/", web);
const files = {
  "node_modules/swagger-ui-dist/swagger-ui-bundle.js": "swagger-ui-bundle.js",
  "node_modules/swagger-ui-dist/swagger-ui.css": "swagger-ui.css",
  "node_modules/swagger-ui-dist/oauth2-redirect.js": "oauth2-redirect.js",
  "node_modules/swagger-ui-dist/favicon-32x32.png": "favicon-32x32.png",
  "node_modules/redoc/bundles/redoc.standalone.js": "redoc.standalone.js",
  "api-docs/swagger-init.js": "swagger-init.js",
};

// ReDoc's sidebar footer shows Redocly's logo from their CDN, which the policy refuses (a console
// error): an empty data: URL instead fails to load quietly, and ReDoc then leaves the logo out.
const patches = {
  "redoc.standalone.js": ["https://cdn.redoc.ly/redoc/logo-mini.svg", "data:,"],
};

mkdirSync(out, { recursive: true });
for (const [from, to] of Object.entries(files)) {
  const patch = patches[to];
  if (!patch) copyFileSync(new URL(from, web), new URL(to, out));
  else writeFileSync(new URL(to, out), readFileSync(new URL(from, web), "utf8").replaceAll(...patch));
}
console.log(`api-docs: ${Object.keys(files).length} files in dist/api-docs`);
