"""The monthly report's CSV files (office/report_csv.py), downloaded as a clerk does from the report page: one file
per section, one row per item and one column per measure, Chinese headers, UTF-8 with BOM, formulas neutralised."""

import csv
import io
import re
import uuid
import zipfile

import pytest

import office_sign_in
from office import report_csv
from office.app import create_app
from office.db import Database

KIOSK = "ERLIN-01"
MONTH = "115/11"


@pytest.fixture
def db(tmp_path):
    with Database(f"sqlite:///{tmp_path / 'office.db'}") as database:
        yield database


@pytest.fixture
def client(db):
    return office_sign_in.clerk(create_app(db))


def upload(client, db, events, kiosk=KIOSK):
    token = db.add_kiosk(kiosk)
    body = {"kiosk_id": kiosk, "events": [{"id": str(uuid.uuid4()), "seq": i + 1, "clock_synced": True, **e}
                                          for i, e in enumerate(events)]}
    answer = client.post("/api/v1/events", json=body, headers={"Authorization": f"Bearer {token}"}).get_json()
    assert not answer["rejected"], answer


def rating(choice, score, at="2026-11-27T09:30:00.000+08:00", scale=3, misuse=False, **extra):
    return {"type": "rating", "at": at,
            "data": {"score": score, "scale": scale, "choice": choice, "misuse": misuse, **extra}}


def a_month(client, db):
    """November: 3 answers at two counters (2 滿意, 1 不滿意 with its reason) and a misuse press, 3 tickets,
    forms viewed and printed; one rating in October for the trend; and a second kiosk with a ticket."""
    frown = rating("frown", 1, service="A", location="櫃台1")
    frown["id"] = str(uuid.uuid4())
    upload(client, db, [
        rating("smile", 3, service="A", location="櫃台1"), rating("smile", 3, service="C", location="櫃台2"),
        rating("smile", 3, misuse=True, service="A", location="櫃台1"), frown,
        {"type": "rating_reason", "at": "2026-11-27T09:30:05.000+08:00",
         "data": {"rating_id": frown["id"], "reason": "wait_time"}},
        rating("neutral", 2, at="2026-10-15T10:00:00.000+08:00", service="A", location="櫃台1"),
        {"type": "ticket", "at": "2026-11-27T10:15:00.000+08:00", "data": {"number": "A001", "service": "A"}},
        {"type": "ticket", "at": "2026-11-27T10:45:00.000+08:00", "data": {"number": "A002", "service": "A"}},
        {"type": "form_view", "at": "2026-11-27T10:45:00.000+08:00",
         "data": {"code": "move-in", "title": "遷入登記申請書", "lang": "zh-TW"}},
        {"type": "form_slip", "at": "2026-11-27T10:46:00.000+08:00",
         "data": {"code": "move-in", "title": "遷入登記申請書", "lang": "zh-TW"}},
    ])
    upload(client, db, [{"type": "ticket", "at": "2026-11-28T14:05:00.000+08:00",
                         "data": {"number": "C001", "service": "C"}}], kiosk="ERLIN-02")


def download(client, section, month=MONTH):
    """A section's CSV as Excel would read it: (file name, header, rows); the bytes start with the BOM."""
    answer = client.get(f"/report/{section}.csv?month={month}")
    assert answer.status_code == 200 and answer.mimetype == "text/csv", answer.get_data(as_text=True)
    assert answer.data.startswith(b"\xef\xbb\xbf"), "no BOM: Excel would read the Chinese as mojibake"
    assert b"\r\n" in answer.data
    name = re.fullmatch(r'attachment; filename="([^"]+)"', answer.headers["Content-Disposition"]).group(1)
    header, *rows = list(csv.reader(io.StringIO(answer.data[3:].decode("utf-8"))))
    return name, header, rows


def test_each_section_is_a_table_with_one_row_per_item(client, db):
    a_month(client, db)
    name, header, rows = download(client, "service")
    assert name == "report-2026-11-service.csv"
    assert header == ["服務", "回答數", "滿意", "普通", "不滿意", "滿意度%", "誤觸（已排除）"]
    assert rows == [["A 戶籍登記", "2", "1", "0", "1", "50.0", "1"], ["C 謄本、印鑑證明", "1", "1", "0", "0", "100.0", "0"]]
    assert download(client, "location")[2] == [["櫃台1", "2", "1", "0", "1", "50.0", "1"],
                                               ["櫃台2", "1", "1", "0", "0", "100.0", "0"]]
    assert download(client, "kiosk")[2] == [["ERLIN-01", "3", "2", "0", "1", "66.7", "1"]]
    _, header, rows = download(client, "trend")
    assert header[0] == "月份" and [row[0] for row in rows] == [
        "民國115年6月", "民國115年7月", "民國115年8月", "民國115年9月", "民國115年10月", "民國115年11月"]
    assert rows[4] == ["民國115年10月", "1", "0", "1", "0", "0.0", "0"]
    assert rows[0] == ["民國115年6月", "0", "0", "0", "0", "", "0"]     # no answers: no percentage, not 0
    assert download(client, "reasons")[1:] == (["原因", "次數"], [
        ["等候時間太長", "1"], ["服務態度", "0"], ["說明不清楚", "0"], ["環境設施", "0"], ["其他", "0"], ["未回答", "0"]])
    assert download(client, "tickets-service")[1:] == (["服務", "取號數"], [["A 戶籍登記", "2"], ["C 謄本、印鑑證明", "1"]])
    _, header, rows = download(client, "tickets-hour")
    assert header == ["時段", "取號數"] and ["10:00–10:59", "2"] in rows and ["14:00–14:59", "1"] in rows
    assert [row[0] for row in rows][:2] == ["08:00–08:59", "09:00–09:59"]
    assert download(client, "forms")[1:] == (["表單", "表單代碼", "檢視", "列印"], [["遷入登記申請書", "move-in", "1", "1"]])


def test_the_summary_is_the_month_in_one_row_naming_the_office_and_its_kiosks(client, db):
    a_month(client, db)
    db.set_office_name("彰化縣二林戶政事務所")
    answer = client.get(f"/report.csv?month={MONTH}")    # the old address: now this one useful row
    assert answer.headers["Content-Disposition"] == 'attachment; filename="report-2026-11-summary.csv"'
    [header, row] = list(csv.reader(io.StringIO(answer.data.decode("utf-8-sig"))))
    assert dict(zip(header, row)) == {
        "機關": "彰化縣二林戶政事務所", "月份": "民國115年11月", "回答數": "3", "滿意": "2", "普通": "0", "不滿意": "1",
        "滿意度%": "66.7", "誤觸（已排除）": "1", "服務機": "ERLIN-01、ERLIN-02", "取號數": "3", "表單檢視": "1",
        "表單列印": "1", "叫號": "0", "完成": "0", "過號": "0"}


def test_every_section_in_one_zip(client, db):
    a_month(client, db)
    answer = client.get(f"/report.zip?month={MONTH}")
    assert answer.status_code == 200 and answer.mimetype == "application/zip"
    assert answer.headers["Content-Disposition"] == 'attachment; filename="report-2026-11.zip"'
    with zipfile.ZipFile(io.BytesIO(answer.data)) as archive:
        names = archive.namelist()
        assert names == [f"report-2026-11-{key}.csv" for key in report_csv.SECTIONS]
        for key in report_csv.SECTIONS:   # the same bytes as the section's own download
            assert archive.read(f"report-2026-11-{key}.csv") == client.get(f"/report/{key}.csv?month={MONTH}").data


def test_the_report_page_links_each_section_to_its_csv(client, db):
    a_month(client, db)
    text = client.get(f"/report?month={MONTH}").get_data(as_text=True)
    linked = set(re.findall(r'href="/report/([a-z-]+)\.csv\?month=115/11"', text.replace("%2F", "/")))
    assert linked == set(report_csv.SECTIONS) - {"calls-service", "calls-counter", "calls-hour"}  # no calls: no files
    assert 'href="/report.zip?month=115/11"' in text.replace("%2F", "/")
    spans = re.findall(r'<span class="([^"]*)">下載 CSV', text)
    assert len(spans) == 6 and all("noprint" in classes.split() for classes in spans)   # hidden when printing


@pytest.mark.parametrize("name", ["=HYPERLINK(\"http://x.example\",\"click\")", "+1+2", "-3", "@SUM(A1)",
                                  "\tTAB", "\rCR"])
def test_a_name_from_a_kiosk_that_looks_like_a_formula_stays_text(client, db, name):
    upload(client, db, [rating("smile", 3, service=name, location=name),
                        {"type": "form_view", "at": "2026-11-27T10:00:00.000+08:00",
                         "data": {"code": "evil", "title": name}}])
    cells = [row[0] for section in ("service", "location", "forms") for row in download(client, section)[2]]
    title = name if name == name.strip() else name.strip()   # a form's title is kept without its surrounding blanks
    assert cells == ["'" + name, "'" + name, title if title == "TAB" or title == "CR" else "'" + title]
    assert not any(cell.startswith(report_csv.FORMULA_STARTS) for cell in cells)


def test_the_numbers_are_never_quoted_as_text():
    """A minus or a number that a guard turned into text would not add up in Excel: the guard is for names only."""
    assert report_csv.spreadsheet_safe(-3) == -3 and report_csv.spreadsheet_safe("66.7") == "66.7"
    assert report_csv.spreadsheet_safe("A 戶籍登記") == "A 戶籍登記"


def test_two_rating_scales_in_a_month_get_a_column_per_choice_of_each(client, db):
    """A kiosk changed from three buttons to five mid-month: no choice is folded into another's column."""
    upload(client, db, [rating("smile", 3, service="A"),
                        rating("very_satisfied", 5, scale=5, service="A"), rating("dissatisfied", 2, scale=5, service="A")])
    _, header, rows = download(client, "service")
    assert header == ["服務", "回答數", "滿意（3級）", "普通（3級）", "不滿意（3級）", "非常滿意（5級）", "滿意（5級）",
                      "普通（5級）", "不滿意（5級）", "非常不滿意（5級）", "滿意度%", "誤觸（已排除）"]
    assert rows == [["A 戶籍登記", "3", "1", "0", "0", "1", "0", "0", "1", "0", "66.7", "0"]]
