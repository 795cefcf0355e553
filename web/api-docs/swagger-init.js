// Starts Swagger UI on /docs (services/gateway/apidocs.py). Its settings come in a JSON block of
// the page rather than an inline script, which the content policy (script-src 'self') would block.
(() => {
  const config = JSON.parse(document.getElementById("swagger-ui-config").textContent);
  window.ui = SwaggerUIBundle({
    ...config,
    oauth2RedirectUrl: window.location.origin + config.oauth2RedirectUrl,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  });
})();
