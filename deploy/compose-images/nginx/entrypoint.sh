#!/usr/bin/env bash
# The official nginx image's 20-envsubst-on-templates.sh: only variables that are set and match
# NGINX_ENVSUBST_FILTER are substituted, so nginx's own $variables survive.
set -euo pipefail

templates=/etc/nginx/templates
if [ "${1:-}" = "nginx" ] && [ -d "$templates" ]; then
  filter=${NGINX_ENVSUBST_FILTER:-}
  defined=$(printf '${%s} ' $(awk "END { for (name in ENVIRON) { print (name ~ /${filter}/) ? name : \"\" } }" </dev/null))
  for template in "$templates"/*.template; do
    [ -e "$template" ] || continue
    output=/etc/nginx/conf.d/$(basename "$template" .template)
    envsubst "$defined" < "$template" > "$output"
  done
fi
exec "$@"
