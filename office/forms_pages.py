"""
The forms pages
===============

* ``/forms`` (staff): the office's forms list as a table, one row per form;
  saved whole, or not at all with every problem in Chinese naming its row
  and field (``office/forms_list.py``); a file can be uploaded per row; each row's
  title and description in Vietnamese, Indonesian, Thai and Filipino under
  其他語言 (posted back with the row, so a save keeps them).
* ``POST /forms/check`` (staff): the link check (``office/link_check.py``),
  a mark per row: opens the file, only a web page, or fails.
* ``/f/<code>`` (public, what the kiosks' QR codes open): a redirect to the
  form's current address, or to the file the staff uploaded,
  ``/f/<code>/<name>``, served with its own type.  An unknown code gets a
  page in Chinese and English, not a bare 404.
"""

from __future__ import annotations

import logging
import unicodedata
from typing import Dict, List, Tuple
from urllib.parse import quote

from flask import Blueprint, Response, redirect, render_template, request, session, url_for

from protocol.languages import OTHER_LANGUAGES

from . import forms_list, link_check
from .current import database as _db
from .pages import _check_csrf, login_required

__all__ = ["blueprint"]

log = logging.getLogger("office.forms")

blueprint = Blueprint("forms", __name__)

#: The table posts every row at once, with any uploads: room for a few files at the largest size.
MAX_POST_BYTES = 4 * forms_list.MAX_FILE_BYTES
FIELDS = ("code", "category", "title", "title_en", "description", "description_en", "url", "opens")


def _submitted() -> Tuple[List[forms_list.FormRow], Dict[str, Tuple[str, bytes]], List[str]]:
    """The rows the page sent (deleted ones left out), the uploads by code, the codes whose file is dropped."""
    rows, files, drop = [], {}, []
    count = int(request.form["rows"])  # the page's own field: table() made sure it is a number
    keys = [str(i) for i in range(count)] + ["new"]
    for key in keys:
        values = {name: request.form.get(f"{name}-{key}", "").replace("\r\n", "\n") for name in FIELDS}
        if key == "new" and not any(values[name].strip() for name in ("code", "title", "url")) \
                and not request.files.get(f"file-{key}"):
            continue  # the empty row for a new form, left empty
        if request.form.get(f"delete-{key}"):
            continue
        values["code"] = values["code"].strip()
        values["url"] = values["url"].strip()
        row = forms_list.FormRow(**values, bilingual=bool(request.form.get(f"bilingual-{key}")),
                                 titles=_translations("title", key), descriptions=_translations("description", key))
        upload = request.files.get(f"file-{key}")
        if upload is not None and upload.filename:
            files[row.code] = (upload.filename, upload.read())
        if request.form.get(f"drop_file-{key}"):
            drop.append(row.code)
        rows.append(row)
    return rows, files, drop


def _translations(name: str, key: str):
    """A row's ``title_vi-<key>``… fields: the texts given, stripped, in NFC (Vietnamese typed on some keyboards is not)."""
    found = ((lang, request.form.get(f"{name}_{lang}-{key}", "").replace("\r\n", "\n").strip())
             for lang in OTHER_LANGUAGES)
    return tuple((lang, unicodedata.normalize("NFC", text)) for lang, text in found if text)


def _render(rows, problems=(), saved=False, checked=None, reselect=False, status=200):
    by_row: Dict[int, List[forms_list.RowProblem]] = {}
    for problem in problems:
        by_row.setdefault(problem.row, []).append(problem)
    return render_template("forms.html", rows=rows, categories=forms_list.categories(_db()), problems=problems,
                           by_row=by_row, saved=saved, checked=checked, reselect=reselect,
                           existing={row.code for row in forms_list.rows(_db())}, result_names=link_check.RESULT_NAMES,
                           field_names=forms_list.FIELD_NAMES, languages=forms_list.LANGUAGE_NAMES, file_types=", ".join(forms_list.FILE_TYPES),
                           max_mb=forms_list.MAX_FILE_BYTES // 1024 // 1024), status


@blueprint.route("/forms", methods=["GET", "POST"])
@login_required
def table():
    db = _db()
    if request.method == "GET":
        return _render(forms_list.rows(db), saved=request.args.get("saved") == "1")
    request.max_content_length = MAX_POST_BYTES  # uploads: far more than a kiosk's API request may carry
    _check_csrf()
    if not request.form.get("rows", "").isdigit() or int(request.form["rows"]) > 500:
        # Not what this page sends: never read it as "every row deleted".
        return render_template("message.html", title="表單格式不對，未儲存",
                               message="這份資料不是表單目錄頁送出的，請重新整理頁面再試一次。"), 400
    rows, files, drop = _submitted()
    problems = forms_list.save(db, rows, files, drop)
    if problems:
        # The page comes back as sent (less the rows ticked for deletion), numbered as the problems are.
        return _render(rows, problems, reselect=bool(files), status=400)
    log.info("%s saved the forms list (%d forms, %d files uploaded)", session.get("staff"), len(rows), len(files))
    return redirect(url_for("forms.table", saved=1))


@blueprint.post("/forms/check")
@login_required
def check_links():
    _check_csrf()
    outcomes = link_check.check_all(_db())
    counts = {name: sum(1 for _, o in outcomes if o.result == name) for name in link_check.RESULT_NAMES}
    log.info("%s checked the forms' links: %s", session.get("staff"), counts)
    return _render(forms_list.rows(_db()), checked=counts)


# -- what the kiosks' QR codes open --------------------------------------------------------------

def _missing(code: str):
    # The code is echoed only if it looks like one: an address is not a place for others' text to appear.
    shown = code if forms_list.CODE.fullmatch(code) and len(code) <= 64 else ""
    return render_template("form_missing.html", code=shown), 404


@blueprint.get("/f/<code>")
def open_form(code: str):
    found = forms_list.target(_db(), code)
    if found is None:
        return _missing(code)
    kind, where = found
    # 302, never 301: phones and browsers keep a 301 for good, and the office may change the address tomorrow.
    response = redirect(url_for("forms.uploaded", code=code, name=where) if kind == "file" else where, code=302)
    response.headers["Cache-Control"] = "no-cache"
    return response


@blueprint.get("/f/<code>/<name>")
def uploaded(code: str, name: str):
    found = forms_list.uploaded_file(_db(), code)
    if found is None or found.name != name:
        return _missing(code)
    download = f"{found.title}.{name.rsplit('.', 1)[-1]}"
    return Response(found.data, mimetype=found.mime_type, headers={
        # Shown in the phone's viewer, saved under the form's Chinese title (RFC 6266 filename*).
        "Content-Disposition": f"inline; filename=\"{name}\"; filename*=UTF-8''{quote(download)}",
        "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})


@blueprint.errorhandler(413)
def _too_large(_exc):
    # Only /forms takes uploads; nothing of the table was saved.
    return render_template("message.html", title="檔案太大，未儲存",
                           message=f"一次上傳的檔案合計不可超過 {MAX_POST_BYTES // 1024 // 1024} MB"
                                   f"（每個檔案最大 {forms_list.MAX_FILE_BYTES // 1024 // 1024} MB）。"), 413
