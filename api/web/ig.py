"""The governance pages' home, the audit log (filters, pages, CSV) and the break-glass alerts
inbox. IG officers and administrators only (records/audit_log.py checks and audits)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from sqlalchemy import func, select

from api.deps import SessionDep, SettingsDep, WebLoginDep
from api.params import MAX_RESULT_WINDOW, IdPath, parse_date
from api.web.formats import day_start_utc, local_time
from api.web.nav import GOVERNANCE, links_for
from api.web.render import Flashes, check_csrf, flashes, page
from catalog.db import unit_of_work
from catalog.models_retention import DisposalItem, LegalHold
from catalog.models_sar import OPEN_STATUSES, SarRequest
from core.errors import InvalidInput, NotFound
from core.spreadsheet import spreadsheet_safe
from records import audit_log
from records.access import require_role
from records.consoles import AUDIT_ROLES

router = APIRouter(include_in_schema=False)
AUDIT_PAGE = 50
AUDIT_LAST_PAGE = MAX_RESULT_WINDOW // AUDIT_PAGE
# What went wrong with a form, shown once on the page it came from.
problems = Flashes()
Text = Annotated[str, Query(max_length=200)]
CSV_COLUMNS = (
    "event_id",
    "when_uk",
    "when_utc",
    "actor",
    "on_behalf_of",
    "action",
    "target",
    "people",
    "why",
)


def ig_page(request: Request, name: str, login: Any, **context: Any) -> Response:
    """A governance page: with the governance menu for this caller."""
    return page(request, name, login, ig_links=links_for(login.caller, GOVERNANCE), **context)


@router.get("/ig")
def overview(
    request: Request, session: SessionDep, login: WebLoginDep, person: Text = ""
) -> Response:
    """What waits for IG: unreviewed break-glass alerts, open disposal items, holds."""
    require_role(session, login.caller, AUDIT_ROLES, "the governance pages")
    if person.strip():  # the old "who looked at this person" address
        return RedirectResponse("/ig/audit?" + urlencode({"person": person.strip()}), 303)
    waiting = session.scalar(
        select(func.count()).where(DisposalItem.status.in_(("proposed", "approved")))
    )
    holds = session.scalar(select(func.count()).where(LegalHold.released_at.is_(None)))
    sars = session.scalar(select(func.count()).where(SarRequest.status.in_(OPEN_STATUSES)))
    return ig_page(
        request,
        "ig.html",
        login,
        alerts=audit_log.unreviewed_alerts(session),
        open_items=int(waiting or 0),
        holds=int(holds or 0),
        sars=int(sars or 0),
    )


def audit_filter(
    date_from: str, date_to: str, actor: str, action: str, person: str
) -> audit_log.AuditFilter:
    """The page's filter from its fields: dates are whole UK days, `to` included."""
    since, until = parse_date(date_from, "From"), parse_date(date_to, "To")
    if since and until and until < since:
        raise InvalidInput("'To' is before 'From'")
    return audit_log.AuditFilter(
        since=day_start_utc(since) if since else None,
        until=day_start_utc(until + timedelta(days=1)) if until else None,
        actor=actor.strip(),
        action=action.strip(),
        person=person.strip(),
    )


@router.get("/ig/audit")
def audit_page(
    request: Request,
    session: SessionDep,
    login: WebLoginDep,
    date_from: Text = "",
    date_to: Text = "",
    actor: Text = "",
    action: Text = "",
    person: Text = "",
    page_no: Annotated[int, Query(alias="page", ge=1, le=AUDIT_LAST_PAGE)] = 1,
) -> Response:
    form = {
        "date_from": date_from,
        "date_to": date_to,
        "actor": actor.strip(),
        "action": action.strip(),
        "person": person.strip(),
    }
    error = ""
    found: dict[str, Any] = {"total": 0, "events": []}
    try:
        wanted = audit_filter(**form)
        found = audit_log.search(
            session,
            caller=login.caller,
            wanted=wanted,
            limit=AUDIT_PAGE,
            offset=(page_no - 1) * AUDIT_PAGE,
        )
    except InvalidInput as exc:
        require_role(session, login.caller, AUDIT_ROLES, "the audit log")
        error = str(exc)
    query = {k: v for k, v in form.items() if v}

    def at(number: int) -> str:
        return "/ig/audit?" + urlencode({**query, **({"page": number} if number > 1 else {})})

    total = int(found["total"])
    pages = min(AUDIT_LAST_PAGE, (total - 1) // AUDIT_PAGE + 1) if total else 0
    return ig_page(
        request,
        "audit.html",
        login,
        status_code=422 if error else 200,
        form=form,
        error=error,
        total=total,
        events=found["events"],
        actions=audit_log.actions(session),
        page_no=page_no,
        pages=pages,
        at=at,
        csv_url="/ig/audit.csv?" + urlencode(query),
        first=(page_no - 1) * AUDIT_PAGE + 1 if found["events"] else 0,
    )


@router.get("/ig/audit.csv")
def audit_csv(
    session: SessionDep,
    settings: SettingsDep,
    login: WebLoginDep,
    date_from: Text = "",
    date_to: Text = "",
    actor: Text = "",
    action: Text = "",
    person: Text = "",
) -> Response:
    """Every event under the page's filter as CSV (cells a spreadsheet never runs), streamed
    on a session of its own; the export is audited before its first line."""
    wanted = audit_filter(date_from, date_to, actor, action, person)
    audit_log.check_export(session, caller=login.caller, wanted=wanted)
    session.commit()
    caller = login.caller
    return StreamingResponse(
        _csv_chunks(settings.database_url, caller, wanted),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="escr-audit.csv"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


def _csv_chunks(url: str, caller: Any, wanted: audit_log.AuditFilter) -> Iterator[str]:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    with unit_of_work(url) as session:
        for row in audit_log.iter_rows(session, caller, wanted):
            line = {
                "event_id": row["event_id"],
                "when_uk": local_time(row["at"]),
                "when_utc": row["at"],
                "actor": row["actor"],
                "on_behalf_of": row["on_behalf_of"],
                "action": row["action"],
                "target": row["label"],
                "people": "; ".join(
                    f"{p['name']} ({p['id']})" if p["name"] else p["id"] for p in row["people"]
                ),
                "why": row["why"],
            }
            writer.writerow({k: spreadsheet_safe(v) for k, v in line.items()})
            if out.tell() >= 64 * 1024:
                yield out.getvalue()
                out.seek(0)
                out.truncate()
    yield out.getvalue()


@router.get("/ig/alerts")
def alerts(request: Request, session: SessionDep, login: WebLoginDep) -> Response:
    """Break-glass openings for IG to review, whoever the person is."""
    found = audit_log.alerts(session, caller=login.caller)
    return ig_page(
        request,
        "alerts.html",
        login,
        alerts=found,
        done=flashes.take(login),
        problem=problems.take(login),
    )


@router.post("/ig/alerts/{event_id}/review")
def review_alert(
    event_id: IdPath,
    session: SessionDep,
    login: WebLoginDep,
    csrf: Annotated[str, Form()],
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    check_csrf(login, csrf)
    try:
        audit_log.review_alert(session, caller=login.caller, event_id=event_id, note=note)
        flashes.put(login, f"Alert {event_id} reviewed.")
    except (InvalidInput, NotFound) as exc:
        problems.put(login, f"Alert {event_id}: {exc}")
    return RedirectResponse(f"/ig/alerts#alert-{event_id}", status_code=303)
