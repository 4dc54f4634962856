"""
Does a form's address open the form?
====================================

A resident scanning a form's QR code on a phone in the lobby should get the
form's file, not a government portal to search.  :func:`check_link` asks the
address (``HEAD``, then ``GET`` if the server refuses ``HEAD``), follows its
redirects and says what a phone would get:

* ``file``: a PDF, ODT, DOC or DOCX (by its ``Content-Type``, or a download by
  its name);
* ``page``: a web page (HTML): the resident must find the form on it;
* ``failed``: no answer, an error status, a certificate the phone would refuse.

:func:`check_all` checks the office's whole list, a few addresses at a time,
and keeps each outcome with the form (``office/forms_list.py``), which also
sets what the kiosks say: "掃描即可下載" or "掃描後請在網頁中找…".
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import List, NamedTuple, Optional, Tuple

import requests

from protocol import officetime

from . import forms_list
from .db import Database

__all__ = ["LinkCheck", "check_link", "check_all", "RESULT_NAMES"]

log = logging.getLogger("office.link_check")

TIMEOUT = (5, 10)  # seconds to connect, to read the headers
FILE_TYPES = {mime for mime, _ in forms_list.FILE_TYPES.values()}
FILE_EXTENSIONS = tuple(f".{extension}" for extension in forms_list.FILE_TYPES)
RESULT_NAMES = {"file": "開啟檔案", "page": "只開網頁", "failed": "無法開啟"}


class LinkCheck(NamedTuple):
    result: str   # file, page or failed
    detail: str   # in Chinese, for the staff: what came back


def _looks_like_file(response: requests.Response) -> bool:
    mime = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if mime in FILE_TYPES:
        return True
    disposition = response.headers.get("Content-Disposition", "").lower()
    named = any(ext in disposition for ext in FILE_EXTENSIONS) or \
        response.url.lower().split("?")[0].endswith(FILE_EXTENSIONS)
    return mime in ("application/octet-stream", "application/force-download", "binary/octet-stream", "") and named


def check_link(url: str, session: Optional[requests.Session] = None) -> LinkCheck:
    """What a phone gets at ``url``."""
    session = session or requests.Session()
    try:
        response = session.head(url, allow_redirects=True, timeout=TIMEOUT)
        if response.status_code in (403, 405, 501) or response.status_code >= 500:
            # Some servers answer HEAD wrongly; ask as a browser does, reading no body.
            response.close()
            response = session.get(url, allow_redirects=True, timeout=TIMEOUT, stream=True)
        response.close()
    except requests.exceptions.SSLError:
        return LinkCheck("failed", "網站憑證有問題：手機會拒絕開啟")
    except requests.exceptions.Timeout:
        return LinkCheck("failed", f"網站超過 {TIMEOUT[0] + TIMEOUT[1]} 秒沒有回應")
    except requests.exceptions.TooManyRedirects:
        return LinkCheck("failed", "網址不斷轉址，打不開")
    except requests.RequestException as exc:
        return LinkCheck("failed", f"連不上網站（{type(exc).__name__}）")
    if response.status_code >= 400:
        return LinkCheck("failed", f"網站回應 HTTP {response.status_code}（{'找不到' if response.status_code == 404 else '錯誤'}）")
    moved = f"，轉到 {response.url}" if response.url != url else ""
    if _looks_like_file(response):
        mime = response.headers.get("Content-Type", "").split(";")[0].strip() or "未註明類型"
        return LinkCheck("file", f"檔案（{mime}）{moved}")
    return LinkCheck("page", f"網頁（{response.headers.get('Content-Type', '未註明類型').split(';')[0]}）{moved}")


def check_all(db: Database, session: Optional[requests.Session] = None,
              workers: int = 6) -> List[Tuple[forms_list.FormRow, LinkCheck]]:
    """Check every form of the office's list (an uploaded file is a file); keep and return each outcome."""
    session = session or requests.Session()
    rows = forms_list.rows(db)
    at = officetime.rfc3339(officetime.now())

    def one(row):
        if row.has_file:
            return row, LinkCheck("file", f"本所上傳的檔案 {row.file_name}")
        return row, check_link(row.url, session)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        outcomes = list(pool.map(one, rows))
    for row, outcome in outcomes:
        if not row.has_file:
            forms_list.record_check(db, row.code, outcome.result, outcome.detail, at)
        log.info("form %s: %s (%s)", row.code, outcome.result, outcome.detail)
    return outcomes
