"""What the render stage sends a sandbox child and what comes back (both pickle)."""

from __future__ import annotations

from dataclasses import dataclass, field

from workers.extract.base import Limits


@dataclass(frozen=True)
class RenderRequest:
    """Render the file at `path` as a PDF written to `out_path` (a folder the parent owns).

    `title` and `children` come from the catalog: a container's listing page names the
    documents taken out of it. `timeout_s` bounds this job (a long scan is OCRed page by
    page); `scratch` is the job's own folder, added by the pool just before sending."""

    path: str
    mime: str
    out_path: str
    title: str = ""
    children: tuple[str, ...] = ()
    timeout_s: float | None = None
    scratch: str = ""


@dataclass
class RenderResult:
    """A rendition made (`ok`) or why not. `original`: the file is its own rendition (a PDF
    that opens), so nothing was written at out_path."""

    ok: bool
    pages: int = 0
    method: str = ""
    original: bool = False
    reason: str | None = None
    detail: str = ""
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0  # the child's own time on it


class RenderFailed(Exception):
    """A file that cannot be rendered, with a core.states.Reason value."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def job_limits(limits: Limits, request: RenderRequest) -> Limits:
    """The limits of one render job: the pool's, with the job's own time where it has one."""
    if request.timeout_s is None:
        return limits
    from dataclasses import replace

    return replace(limits, timeout_s=max(limits.timeout_s, request.timeout_s))
