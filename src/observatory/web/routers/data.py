"""Data imports: upload, validate, then confirm or discard (staff only)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from observatory.services import imports
from observatory.services.access import allow_whole
from observatory.web.deps import Dep, User, check_csrf, form_of, render

router = APIRouter()


@router.get("/api/data", tags=["data"], response_model=imports.DataOverview)
def api_data(dep: Dep, p: User) -> imports.DataOverview:
    allow_whole(p, "data", dep.settings.region)
    return imports.data_overview(dep.engine, p)


@router.get("/data", include_in_schema=False)
def data_html(request: Request, dep: Dep, p: User) -> HTMLResponse:
    allow_whole(p, "data", dep.settings.region)
    return render(request, "data.html", p, {"d": imports.data_overview(dep.engine, p)},
                  "/api/data")


async def _read_upload(upload_file: UploadFile, limit: int) -> bytes:
    """The upload's bytes, read in chunks and refused past the size limit."""
    chunks: list[bytes] = []
    size = 0
    while chunk := await upload_file.read(1 << 20):
        size += len(chunk)
        if size > limit:
            raise imports.TooLarge(f"the file is larger than the limit of {limit} bytes",
                                   f"文件超过 {limit} 字节的上限")
        chunks.append(chunk)
    return b"".join(chunks)


@router.post("/data/imports", include_in_schema=False)
async def upload(request: Request, dep: Dep, p: User) -> Response:
    """Upload: read, preview the mapping and validate; the run page shows it all."""
    allow_whole(p, "data", dep.settings.region)
    form = await request.form()
    await check_csrf(request, p, dict(form))
    upload_file = form.get("file")
    if upload_file is None or isinstance(upload_file, str):
        raise HTTPException(422, "no file / 未选择文件")
    payload = await _read_upload(upload_file, dep.settings.import_max_file_bytes)
    mapping_file = form.get("mapping")
    mapping = None
    if mapping_file is not None and not isinstance(mapping_file, str):
        raw = await _read_upload(mapping_file, 1 << 20)
        mapping = raw.decode("utf-8-sig", errors="replace") or None
    options = imports.Options(entity=str(form.get("entity") or "") or None,
                              sheet=str(form.get("sheet") or "").strip() or None,
                              mapping=mapping)
    run_id = imports.stage_import(dep, p, payload, upload_file.filename or "", options)
    return RedirectResponse(f"/data/imports/{run_id}", 303)


@router.get("/api/data/imports/{run_id}", tags=["data"], response_model=imports.ImportRunView)
def api_run(dep: Dep, p: User, run_id: int) -> imports.ImportRunView:
    allow_whole(p, "data", dep.settings.region)
    return imports.import_run(dep.engine, p, run_id)


@router.get("/data/imports/{run_id}", include_in_schema=False)
def run_html(request: Request, dep: Dep, p: User, run_id: int) -> HTMLResponse:
    allow_whole(p, "data", dep.settings.region)
    return render(request, "import_run.html", p, {"run": imports.import_run(dep.engine, p,
                                                                            run_id)},
                  f"/api/data/imports/{run_id}")


@router.post("/data/imports/{run_id}", include_in_schema=False)
async def confirm_run(request: Request, dep: Dep, p: User, run_id: int) -> Response:
    allow_whole(p, "data", dep.settings.region)
    form = await form_of(request)  # a JSON body is refused, not read as "discard"
    await check_csrf(request, p, form)
    imports.finish_import(dep, p, run_id, confirm=form.get("action") == "confirm")
    return RedirectResponse(f"/data/imports/{run_id}", 303)
