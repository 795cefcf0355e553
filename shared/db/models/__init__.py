from shared.db.models.api_key import ApiKey
from shared.db.models.execution import Execution
from shared.db.models.execution_phase import ExecutionPhase
from shared.db.models.identity import Identity
from shared.db.models.refresh_token import RefreshToken
from shared.db.models.signing_key import SigningKey
from shared.db.models.user import User

__all__ = ["ApiKey", "Execution", "ExecutionPhase", "Identity", "RefreshToken", "SigningKey", "User"]
