"""The applicant's services: with the case number and query code, follow the case,
supplement it, withdraw it, rate it. A wrong code answers as an unknown case.
Each function owns its unit of work."""

from __future__ import annotations

from . import applicant
from .views import rating_view, status_view


def progress(rt, case_no: str, code: str | None) -> dict:
    with rt.uow() as uow:
        case = applicant.case_for_applicant(uow, rt.settings.secret_key, case_no, code)
        return applicant.progress(uow, case)


def _act(rt, case_no: str, code: str | None, action, view, *args) -> dict:
    """An applicant's action on his case (locked), committed as one unit."""
    with rt.uow() as uow:
        case = applicant.case_for_applicant(uow, rt.settings.secret_key, case_no, code, lock=True)
        result = action(uow, case, *args)
        uow.commit()
        return view(result)


def supplement(rt, case_no: str, code: str | None, form, note: str | None) -> dict:
    """补正: the form patched with what was missing; the clock resumes."""
    return _act(rt, case_no, code, applicant.supplement, status_view, form, note)


def withdraw(rt, case_no: str, code: str | None, reason: str | None) -> dict:
    return _act(rt, case_no, code, applicant.withdraw, status_view, reason)


def rate(rt, case_no: str, code: str | None, score, comment: str | None) -> dict:
    """好差评: 1 (非常不满意) to 5 (非常满意), once the case has ended."""
    return _act(rt, case_no, code, applicant.rate, rating_view, score, comment)
