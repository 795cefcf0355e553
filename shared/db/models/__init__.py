from shared.db.models.execution import Execution
from shared.db.models.execution_phase import ExecutionPhase
from shared.db.models.user import User

__all__ = ["Execution", "ExecutionPhase", "User"]
