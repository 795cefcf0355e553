import uvicorn

from shared.logging import configure_logging
from shared.settings import GatewaySettings

settings = GatewaySettings()
configure_logging(settings.log_level, json=settings.log_json)
uvicorn.run(
    "services.gateway.app:create_app",
    factory=True,
    host=settings.host,
    port=settings.port,
    log_config=None,
    proxy_headers=True,
    # Longer than clients' and proxies' idle timeouts, so they, not we, close idle connections.
    timeout_keep_alive=75,
)
