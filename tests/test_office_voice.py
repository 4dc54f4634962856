"""The lobby display's voice (office/voice.py, office/voice_pages.py): the office's choice of languages, the clips
it records on /voice, what the display reads, and what each display reports it can say, through the Flask test
client on a real database (SQLite, and PostgreSQL when $OFFICE_TEST_DATABASE_URL is set)."""

import hashlib
import io
import sqlite3
import wave

import pytest

import office_sign_in
from office import calls, displays, voice
from office.app import create_app
from office.db import Database
from office_backends import BACKENDS, database_url
from test_office_displays import DAY, at, ticket

WEBM = b"\x1a\x45\xdf\xa3" + bytes(range(256)) * 20         # a WebM header and some body, as MediaRecorder sends


def wav(seconds=0.2) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(8000)
        w.writeframes(b"\x00\x10" * int(8000 * seconds))
    return out.getvalue()


@pytest.fixture(params=BACKENDS)
def db(request, tmp_path):
    with database_url(request.param, tmp_path) as url, Database(url) as database:
        database.add_kiosk("ERLIN-01")
        for n in range(1, 4):
            ticket(database, f"A00{n}", n)
        yield database


@pytest.fixture
def app(db):
    return create_app(db, clock=lambda: at(30))


@pytest.fixture
def clerk(app):
    client = office_sign_in.clerk(app)
    client.csrf = office_sign_in.csrf(client.get("/voice").get_data(as_text=True))
    return client


@pytest.fixture
def token(db):
    return displays.add_display(db, "lobby-1")


def put(client, lang, key, data, content_type="audio/webm;codecs=opus", csrf=None):
    return client.put(f"/api/v1/voice/clips/{lang}/{key}", data=data,
                      headers={"Content-Type": content_type, "X-CSRF-Token": csrf or getattr(client, "csrf", "")})


# -- which languages, in order ---------------------------------------------------------------------------

def test_unset_the_display_speaks_mandarin_alone(clerk, db):
    assert voice.languages(db) == ["zh-TW"]
    page = clerk.get("/voice").get_data(as_text=True)
    assert '<option value="1" selected>第 1 個</option>' in page.split('id="order_zh-TW"')[1].split("</select>")[0]
    assert "Số A105, mời đến quầy số 3" in page                      # each language's example, as written


def test_the_office_chooses_the_languages_and_their_order(clerk, db, app):
    saved = clerk.post("/voice", data={"csrf": clerk.csrf, "order_vi": "1", "order_zh-TW": "2", "order_th": "3",
                                       "order_en": ""})
    assert saved.status_code == 200 and "已儲存" in saved.get_data(as_text=True)
    assert voice.languages(db) == ["vi", "zh-TW", "th"]
    with Database(db.url.render_as_string(hide_password=False)) as again:    # kept in the database, read afresh
        assert voice.languages(again) == ["vi", "zh-TW", "th"]
    page = clerk.get("/voice").get_data(as_text=True)
    assert page.index('id="clips-vi"') < page.index('id="clips-zh-TW"') < page.index('id="clips-th"') \
        < page.index('id="clips-en"')                               # the chosen first, in their order
    clerk.post("/voice", data={"csrf": clerk.csrf})                  # none: the chime alone
    assert voice.languages(db) == []


def test_two_languages_in_one_place_are_refused_and_nothing_is_saved(clerk, db):
    answer = clerk.post("/voice", data={"csrf": clerk.csrf, "order_vi": "1", "order_id": "1", "order_en": "9"})
    text = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert "Tiếng Việt、Bahasa Indonesia 都選了第 1 個" in text and "English 的順序必須是 1–6" in text
    assert voice.languages(db) == ["zh-TW"]
    assert clerk.post("/voice", data={"order_vi": "1"}).status_code == 400      # no CSRF token
    assert voice.languages(db) == ["zh-TW"]


def test_the_voice_page_is_for_staff_and_in_the_menu(app, clerk, token):
    assert app.test_client().get("/voice").status_code == 302
    assert app.test_client().get(f"/voice?token={token}").status_code == 302   # a display token is no sign-in
    page = clerk.get("/voice").get_data(as_text=True)
    assert '<a href="/voice" aria-current="page">叫號語音</a>' in page
    assert "http://" not in page and "https://" not in page         # nothing from the Internet (no CDN)


# -- the clips -------------------------------------------------------------------------------------------

def test_a_clip_recorded_is_played_back_as_sent(clerk, db):
    answer = put(clerk, "vi", "số", WEBM)
    assert answer.status_code == 201
    body = answer.get_json()
    assert (body["content_type"], body["size"], body["recorded_by"]) == ("audio/webm", len(WEBM), "chen")
    back = clerk.get("/api/v1/voice/clips/vi/số")
    assert back.status_code == 200 and back.data == WEBM and back.mimetype == "audio/webm"
    assert back.headers["ETag"] == f'"{hashlib.sha256(WEBM).hexdigest()[:16]}"'
    assert clerk.get("/api/v1/voice/clips/vi/số", headers={"If-None-Match": back.headers["ETag"]}).status_code == 304
    again = put(clerk, "vi", "số", wav(), "audio/x-wav")             # recorded again: replaces it
    assert again.status_code == 201 and again.get_json()["content_type"] == "audio/wav"
    assert clerk.get("/api/v1/voice/clips/vi/số").data == wav()
    page = clerk.get("/voice").get_data(as_text=True)
    assert 'class="recorded" data-lang="vi" data-key="số"' in page and "已錄（chen" in page
    assert clerk.delete("/api/v1/voice/clips/vi/số", headers={"X-CSRF-Token": clerk.csrf}).status_code == 204
    assert clerk.get("/api/v1/voice/clips/vi/số").status_code == 404
    assert clerk.delete("/api/v1/voice/clips/vi/số", headers={"X-CSRF-Token": clerk.csrf}).status_code == 404


@pytest.mark.parametrize("data,content_type,status,says", [
    (b"hello", "audio/webm", 400, "the data is not audio/webm"),
    (WEBM, "text/plain", 415, "a clip must be sent as one of audio/webm"),
    (WEBM, None, 415, "a clip must be sent as one of"),
    (b"", "audio/ogg", 400, "the clip is empty"),
    (b"OggS" + b"\0" * (voice.MAX_CLIP_BYTES + 1), "audio/ogg", 413, "a clip may be at most 200 KB"),
    (b"OggS" + b"\0" * 400_000, "audio/ogg", 413, "a clip may be at most 200 KB"),   # over the app's own limit too
], ids=["not-webm", "text", "no-type", "empty", "too-big", "far-too-big"])
def test_bad_clips_are_refused_saying_why(clerk, db, data, content_type, status, says):
    answer = clerk.put("/api/v1/voice/clips/id/nomor", data=data,
                       headers={"X-CSRF-Token": clerk.csrf, **({"Content-Type": content_type} if content_type else {})})
    assert answer.status_code == status and says in answer.get_json()["error"]
    assert voice.get_clip(db, "id", "nomor") is None


def test_only_the_words_of_a_call_can_be_recorded(clerk):
    assert put(clerk, "vi", "A", WEBM).status_code == 201                        # a letter
    assert put(clerk, "th", "เชิญที่ช่องบริการ", WEBM).status_code == 201          # a phrase
    unknown = put(clerk, "vi", "xin chào", WEBM)
    assert unknown.status_code == 404 and "'xin chào' is not a clip of vi" in unknown.get_json()["error"]
    assert put(clerk, "ja", "A", WEBM).status_code == 404


def test_only_signed_in_staff_with_the_page_token_record(app, clerk, token):
    assert put(clerk, "vi", "A", WEBM, csrf="forged").status_code == 403
    stranger = app.test_client()
    assert put(stranger, "vi", "A", WEBM, csrf="x").status_code == 401
    display = stranger.put(f"/api/v1/voice/clips/vi/A?token={token}", data=WEBM,
                           headers={"Content-Type": "audio/webm"})
    assert display.status_code == 401                                          # a display only reads
    assert stranger.delete(f"/api/v1/voice/clips/vi/A?token={token}").status_code == 401


# -- what the display reads ------------------------------------------------------------------------------

def test_the_display_reads_the_languages_and_the_clips_recorded(app, clerk, db, token):
    clerk.post("/voice", data={"csrf": clerk.csrf, "order_vi": "1", "order_zh-TW": "2"})
    call = calls.call_next(db, 3, ["A"], at(10))
    event = calls.last_calls(db, 1, DAY)[0]
    for key in event["clips"]["vi"]:                                           # every clip of this call in vi
        assert put(clerk, "vi", key, WEBM).status_code == 201
    put(clerk, "th", "หมายเลข", WEBM)                                            # not a language chosen
    display = app.test_client()
    assert display.get("/api/v1/voice/plan").status_code == 401
    assert display.get("/api/v1/voice/plan?token=wrong").status_code == 401
    plan = display.get(f"/api/v1/voice/plan?token={token}").get_json()
    assert [(l["lang"], l["speech_lang"]) for l in plan["languages"]] == [("vi", "vi-VN"), ("zh-TW", "zh-TW")]
    digest = hashlib.sha256(WEBM).hexdigest()[:16]
    assert plan["languages"][0]["clips"] == {key: digest for key in event["clips"]["vi"]}
    assert plan["languages"][1]["clips"] == {}
    # The call itself, as the state and the stream give it: its words in every language.
    assert call["number"] == "A001"
    state = display.get(f"/api/v1/calls/state?token={token}").get_json()
    [shown] = state["last_calls"]
    assert shown["clips"]["vi"] == ["số", "A", "một", "mời đến quầy số", "ba"]
    assert shown["lines"]["vi"] == "Số A001, mời đến quầy số 3"
    assert shown["announcement"]["zh-TW"] == "請 A 一 號 到 三 號 櫃檯"
    clip = display.get(f"/api/v1/voice/clips/vi/m%E1%BB%99t?token={token}")
    assert clip.status_code == 200 and clip.data == WEBM


def test_each_display_reports_what_it_can_say_and_the_page_shows_it(app, clerk, db, token):
    clerk.post("/voice", data={"csrf": clerk.csrf, "order_zh-TW": "1", "order_vi": "2", "order_th": "3"})
    needed = voice.clip_keys("zh-TW")
    for key in [k for k in needed if len(k) > 1 or not k.isascii()] + ["A", "P"]:   # the words, letters in use
        put(clerk, "zh-TW", key, WEBM)
    recorded = len(voice.inventory(db, ["zh-TW"])["zh-TW"])
    displays.add_display(db, "lobby-2")                                         # never opened
    report = {"languages": {"zh-TW": {"voice": None, "clips": recorded, "failed": 0},
                            "vi": {"voice": "Google Tiếng Việt", "clips": 0, "failed": 0},
                            "th": {"voice": None, "clips": 0, "failed": 0}}}
    assert app.test_client().post(f"/api/v1/voice/report?token={token}", json=report).status_code == 204
    page = clerk.get("/voice").get_data(as_text=True)
    row = page.split("<td>lobby-1</td>")[1].split("</tr>")[0]
    assert '<td class="clips" data-lang="zh-TW">本所錄音</td>' in row
    assert '<td class="speech" data-lang="vi">瀏覽器語音：Google Tiếng Việt</td>' in row
    assert '<td class="none" data-lang="th">無（不播報，只有提示音）</td>' in row
    assert "尚未回報（顯示器開啟後回報）" in page.split("<td>lobby-2</td>")[1].split("</tr>")[0]
    assert "聲音未啟用" not in page
    muted = app.test_client().post(f"/api/v1/voice/report?token={token}", json=dict(report, sound=False))
    assert muted.status_code == 204
    page = clerk.get("/voice").get_data(as_text=True)                            # a TV started without autoplay
    assert "聲音未啟用：在顯示器上按「啟用聲音」" in page.split("lobby-1")[1].split("</tr>")[0]
    bad = app.test_client().post(f"/api/v1/voice/report?token={token}", json={"languages": {"ja": {}}})
    assert bad.status_code == 400 and "unknown language 'ja'" in bad.get_json()["error"]
    assert app.test_client().post("/api/v1/voice/report", json=report).status_code == 401


# -- an existing database ----------------------------------------------------------------------------------

def test_a_database_from_before_the_voice_opens_with_the_default(tmp_path):
    path = tmp_path / "old.db"
    Database(f"sqlite:///{path}").close()
    with sqlite3.connect(path) as conn:                       # as a server before this feature left it
        conn.execute("DROP TABLE voice_clips")
        conn.execute("DROP TABLE voice_reports")
    with Database(f"sqlite:///{path}") as db:
        assert voice.languages(db) == ["zh-TW"] and voice.inventory(db)["vi"] == {}
        voice.put_clip(db, "vi", "số", "audio/webm", WEBM, "chen")
        assert voice.plan(db)["languages"][0]["lang"] == "zh-TW"
        voice.set_languages(db, ["vi"])
        assert voice.plan(db)["languages"][0]["clips"] == {"số": voice.get_clip(db, "vi", "số")["digest"]}
