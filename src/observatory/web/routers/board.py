"""The broker's pipeline: recorded matches, the board, proposing and advancing a match, and
registering its technology contract."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from observatory.services import board, market
from observatory.services.access import allow
from observatory.services.auth import Principal
from observatory.web.deps import Dep, Lang, User, check_csrf, form_of, json_of, render

router = APIRouter()
REFUSED: dict[int | str, dict[str, object]] = {
    409: {"description": "The workflow does not allow this step (en/zh reason)"},
    422: {"description": "The step or its input is invalid (en/zh reason)"}}


def _refusal(exc: board.WorkflowRefused, code: str | None = None) -> dict[str, str | None]:
    return {"match": code, "en": exc.en, "zh": exc.zh}


def _done(code: str) -> RedirectResponse:
    return RedirectResponse(f"/market/board?done={quote(code)}#m-{quote(code)}", 303)


@router.get("/api/market/matches", tags=["market"], response_model=market.MatchRows)
def api_matches(dep: Dep, p: User) -> market.MatchRows:
    return market.match_rows(dep.engine, p)


@router.get("/market/matches", include_in_schema=False)
def matches_page(request: Request, dep: Dep, p: User) -> HTMLResponse:
    rows = market.match_rows(dep.engine, p)
    return render(request, "matches.html", p, {"matches": rows.matches}, "/api/market/matches")


@router.get("/api/market/matches/{code}", tags=["market"], response_model=board.MatchRecord)
def api_match_record(dep: Dep, p: User, code: str) -> board.MatchRecord:
    allow(p, "matches")
    return board.scoped_match(dep.engine, p, code)


def _board_page(request: Request, dep: Dep, p: Principal, lang: str,
                error: Mapping[str, str | None] | None = None, status: int = 200,
                done: str | None = None) -> HTMLResponse:
    q = request.query_params  # a pair handed over from a match list, to propose with a broker
    pair = {k: q.get(k, "")[:60] for k in ("demand", "achievement", "score")}
    return render(request, "board.html", p,
                  {"b": board.board_view(dep.engine, p, lang), "error": error, "done": done,
                   "pair": pair}, "/api/market/board", status=status)


@router.post("/market/matches", include_in_schema=False)
async def propose_match(request: Request, dep: Dep, p: User, lang: Lang) -> Response:
    """A broker (or bureau staff) records a proposed match from a match list."""
    allow(p, "propose")
    form = await form_of(request)
    await check_csrf(request, p, form)
    try:
        rec = board.propose(dep.engine, p, board.MatchProposal.from_form(form))
    except board.WorkflowRefused as exc:
        return _board_page(request, dep, p, lang, _refusal(exc), 409)
    return RedirectResponse(f"/market/board?done={quote(rec.code)}#m-{rec.code}", 303)


@router.post("/api/market/matches", tags=["market"], status_code=201,
             response_model=board.MatchRecord, responses=REFUSED)
async def api_propose_match(request: Request, dep: Dep, p: User) -> Response | board.MatchRecord:
    allow(p, "propose")
    await check_csrf(request, p, {})
    try:
        given = board.MatchProposal.from_form(await json_of(request))
        return board.propose(dep.engine, p, given)
    except board.WorkflowRefused as exc:
        return JSONResponse({"detail": _refusal(exc)}, 409)


@router.get("/api/market/board", tags=["market"], response_model=board.Board)
def api_board(dep: Dep, p: User, lang: Lang) -> board.Board:
    return board.board_view(dep.engine, p, lang)


@router.get("/market/board", include_in_schema=False)
def board_html(request: Request, dep: Dep, p: User, lang: Lang, done: str | None = None
               ) -> HTMLResponse:
    allow(p, "board")
    return _board_page(request, dep, p, lang, done=done)


@router.post("/market/matches/{code}/advance", include_in_schema=False)
async def form_advance(request: Request, dep: Dep, p: User, lang: Lang, code: str) -> Response:
    allow(p, "board")
    form = await form_of(request)
    await check_csrf(request, p, form)
    try:
        board.advance(dep.engine, p, code, board.MatchStep.from_form(form))
    except board.WorkflowRefused as exc:
        return _board_page(request, dep, p, lang, _refusal(exc, code), 422)
    return _done(code)


@router.post("/api/market/matches/{code}/advance", tags=["market"],
             response_model=board.MatchRecord, responses=REFUSED)
async def api_advance(request: Request, dep: Dep, p: User, code: str
                      ) -> Response | board.MatchRecord:
    allow(p, "board")
    await check_csrf(request, p, {})
    try:
        step = board.MatchStep.from_form(await json_of(request))
        return board.advance(dep.engine, p, code, step)
    except board.WorkflowRefused as exc:
        return JSONResponse({"detail": _refusal(exc, code)}, 422)


@router.post("/market/matches/{code}/broker", include_in_schema=False)
async def form_assign(request: Request, dep: Dep, p: User, lang: Lang, code: str) -> Response:
    """Staff assign (or change) a match's qualified broker from the board."""
    allow(p, "propose")
    form = await form_of(request)
    await check_csrf(request, p, form)
    try:
        board.assign(dep.engine, p, code, board.BrokerAssignment.from_form(form))
    except board.WorkflowRefused as exc:
        return _board_page(request, dep, p, lang, _refusal(exc, code), 409)
    return _done(code)


@router.post("/api/market/matches/{code}/broker", tags=["market"],
             response_model=board.MatchRecord, responses=REFUSED)
async def api_assign(request: Request, dep: Dep, p: User, code: str
                     ) -> Response | board.MatchRecord:
    """Assign (or change) the qualified broker of an open match: ``{"broker": "P0000135"}``;
    an unknown or unqualified broker, or a closed match, is a 409 with the reason."""
    allow(p, "propose")
    await check_csrf(request, p, {})
    try:
        given = board.BrokerAssignment.from_form(await json_of(request))
        return board.assign(dep.engine, p, code, given)
    except board.WorkflowRefused as exc:
        return JSONResponse({"detail": _refusal(exc, code)}, 409)


def _contract_page(request: Request, dep: Dep, p: Principal, code: str,
                   form: Mapping[str, object], problems: list[board.Problem],
                   status: int = 200) -> HTMLResponse:
    ctx = board.contract_context(dep.engine, p, code)
    by_field: dict[str, list[board.Problem]] = {}
    for pr in problems:
        field = pr.field if pr.field in board.CONTRACT_FIELDS else "_match"
        by_field.setdefault(field, []).append(pr)
    return render(request, "contract.html", p,
                  {"mt": ctx.match, "parties": ctx.parties, "form": form,
                   "problems": {k: [x.model_dump() for x in v] for k, v in by_field.items()},
                   "all_problems": problems, "types": ctx.types},
                  f"/api/market/matches/{quote(code)}", status=status)


@router.get("/market/matches/{code}/contract", include_in_schema=False)
def contract_form(request: Request, dep: Dep, p: User, code: str) -> HTMLResponse:
    allow(p, "contract")
    today = dt.date.today().isoformat()
    return _contract_page(request, dep, p, code, {"signed_on": today, "registered_on": today,
                                                  "non_technical_amount_yuan": "0"}, [])


@router.post("/market/matches/{code}/contract", include_in_schema=False)
async def contract_submit(request: Request, dep: Dep, p: User, code: str) -> Response:
    allow(p, "contract")
    form = await form_of(request)
    await check_csrf(request, p, form)
    _, problems = board.register(dep.engine, p, code, *board.ContractInput.from_form(form))
    if problems:
        return _contract_page(request, dep, p, code, form, problems, 422)
    return _done(code)


@router.post("/api/market/matches/{code}/contract", tags=["market"],
             response_model=board.MatchRecord,
             responses={422: {"description": "Problems by field; nothing was written"}})
async def api_contract(request: Request, dep: Dep, p: User, code: str
                       ) -> Response | board.MatchRecord:
    allow(p, "contract")
    await check_csrf(request, p, {})
    given, parse_problems = board.ContractInput.from_form(await json_of(request))
    rec, problems = board.register(dep.engine, p, code, given, parse_problems)
    if rec is None:
        return JSONResponse({"detail": {"problems": [x.model_dump() for x in problems]}}, 422)
    return rec
