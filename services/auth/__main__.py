import uvicorn

from shared.logging import configure_logging
from shared.settings import AuthSettings

settings = AuthSettings()
configure_logging(settings.log_level, json=settings.log_json)
uvicorn.run("services.auth.app:create_app", factory=True, host=settings.host, port=settings.port, log_config=None)
