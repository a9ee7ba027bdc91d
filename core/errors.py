"""The project's error tree. Services raise these; api/errors.py maps them to HTTP."""


class EscrError(Exception):
    """Base of every error the service raises on purpose."""


class NotFound(EscrError):
    """The thing asked for does not exist (or the caller may not know it exists)."""


class Conflict(EscrError):
    """The change contradicts the current state."""


class InvalidInput(EscrError):
    """The caller's input cannot be used; the message says why."""


class PolicyViolation(EscrError):
    """A hold, retention rule or access rule forbids the action."""


class PermissionDenied(PolicyViolation):
    """The caller is not allowed to do this."""


class TransientBackendError(EscrError):
    """A backend failed in a way that a retry may cure (network, timeout, overload)."""
