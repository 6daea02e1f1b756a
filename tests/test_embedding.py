"""Embedding a consultation in another site: the facilitator's list of origins, the frame
policy each page answers with, the session cookie in a frame, and the page's token."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from conftest import create_conversation, make_app
from flask import Flask
from flask.testing import FlaskClient

API = "/api/v1/conversations"
CITY = "https://city.example"
# What a browser sends for a page loaded in a frame, and for one opened by itself.
FRAMED = {"Sec-Fetch-Dest": "iframe", "Sec-Fetch-Site": "cross-site"}
TOP_LEVEL = {"Sec-Fetch-Dest": "document", "Sec-Fetch-Site": "none"}


# --- The setting -------------------------------------------------------------------------


def test_a_new_consultation_may_be_embedded_nowhere(client, conversation):
    assert conversation["embed_origins"] == []


def test_origins_are_kept_in_lower_case_without_repeats(client, facilitator):
    origins = ["HTTPS://City.Example", "http://localhost:8080", "https://city.example"]
    made = create_conversation(client, facilitator, embed_origins=origins)
    assert made["embed_origins"] == [CITY, "http://localhost:8080"]
    changed = client.patch(
        f"{API}/{made['id']}",
        json={"embed_origins": ["https://x.example"]},
        headers=facilitator.headers,
    )
    assert changed.status_code == 200
    assert client.get(f"{API}/{made['id']}").json["embed_origins"] == ["https://x.example"]


@pytest.mark.parametrize(
    "origins",
    [
        "https://city.example",
        [None],
        [["https://city.example"]],
        [""],
        ["city.example"],
        ["https://city.example/"],
        ["https://city.example/path"],
        ["https://city.example?x=1"],
        ["https://city.example#top"],
        ["https://user@city.example"],
        ["ftp://city.example"],
        ["javascript:alert(1)"],
        ["https://*.example"],
        ["*"],
        ["'self'"],
        ["https://city.example; script-src *"],
        ["https://city.example https://evil.example"],
        ["https://city.example:0"],
        ["https://city.example:65536"],
        ["https://city.example:"],
        ["https://-city.example"],
        ["https://ville.exämple"],
        ["https://city.example\x00"],
        ["https://[::1]:8080"],
        ["https://city.example:080"],
        [f"https://a{i}.example" for i in range(21)],
    ],
)
def test_a_bad_origin_list_is_refused_and_changes_nothing(client, facilitator, origins):
    cid = create_conversation(client, facilitator, embed_origins=[CITY])["id"]
    response = client.patch(
        f"{API}/{cid}",
        json={"embed_origins": origins, "topic": "Changed"},
        headers=facilitator.headers,
    )
    assert response.status_code == 400
    assert response.json["error"]["field"] == "embed_origins"
    after = client.get(f"{API}/{cid}").json
    assert (after["embed_origins"], after["topic"]) == ([CITY], "Transport")
    made = client.post(
        API, json={"topic": "T", "embed_origins": origins}, headers=facilitator.headers
    )
    assert made.status_code == 400


def test_a_new_consultation_may_list_origins_in_the_form(client, facilitator):
    login = {"email": facilitator.email, "password": facilitator.password}
    client.post("/facilitate/login", data=login)
    form = {"topic": "Parks", "statement_max_length": "280", "analysis_profile": "consult"}
    refused = client.post("/facilitate/new", data={**form, "embed_origins": "https://a.example/x"})
    assert refused.status_code == 400
    assert "https://a.example/x</textarea>" in refused.get_data(as_text=True)  # kept to fix
    assert client.get(API, headers=facilitator.headers).json["conversations"] == []
    made = client.post("/facilitate/new", data={**form, "embed_origins": CITY})
    assert made.status_code == 302
    [conversation] = client.get(API, headers=facilitator.headers).json["conversations"]
    assert conversation["embed_origins"] == [CITY]


@pytest.mark.parametrize(
    ("origin", "valid"),
    [
        ("https://city.example", True),
        ("HTTP://City.Example:65535", True),
        ("http://127.0.0.1:1", True),
        ("https://xn--ville-exmple-z8a.example", True),
        ("https://city.example:65536", False),
        ("https://city.example:080", False),
        ("https://city..example", False),
        ("https://city.example.", False),
        ("https://city-.example", False),
        ("https://\u212aelvin.example", False),  # KELVIN SIGN: case-folds to k, not ASCII
    ],
)
def test_the_description_and_the_server_agree_on_origins(client, facilitator, origin, valid):
    schema = json.loads(client.get("/api/v1/openapi.json").data)["components"]["schemas"]
    pattern = schema["ConversationChange"]["properties"]["embed_origins"]["items"]["pattern"]
    assert (re.search(pattern, origin) is not None) is valid
    made = client.post(
        API, json={"topic": "T", "embed_origins": [origin]}, headers=facilitator.headers
    )
    assert made.status_code == (201 if valid else 400), made.json


def test_the_facilitator_sets_origins_one_per_line(client, facilitator):
    cid = create_conversation(client, facilitator)["id"]
    login = {"email": facilitator.email, "password": facilitator.password}
    client.post("/facilitate/login", data=login)
    form = {
        "topic": "Transport",
        "statement_max_length": "280",
        "analysis_profile": "consult",
        "embed_origins": "https://city.example\r\n\r\n  http://localhost:8080  \r\n",
    }
    assert client.post(f"/facilitate/c/{cid}", data=form).status_code == 302
    assert client.get(f"{API}/{cid}").json["embed_origins"] == [CITY, "http://localhost:8080"]
    page = client.get(f"/facilitate/c/{cid}").get_data(as_text=True)
    assert "https://city.example\nhttp://localhost:8080</textarea>" in page

    refused = client.post(f"/facilitate/c/{cid}", data={**form, "embed_origins": "city.example/x"})
    assert refused.status_code == 400
    assert client.get(f"{API}/{cid}").json["embed_origins"] == [CITY, "http://localhost:8080"]
    assert "is not an origin" in refused.get_data(as_text=True)
    assert "city.example/x</textarea>" in refused.get_data(as_text=True)  # as typed


# --- Which answers may be framed, and by whom --------------------------------------------


def frame_ancestors(response) -> list[str]:
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in response.headers["Content-Security-Policy"].split(";")
    )
    assert policy["script-src"] == "'self'"  # the rest of the policy is unchanged
    return policy["frame-ancestors"].split()


@pytest.fixture
def embeddable(client, facilitator) -> str:
    return create_conversation(client, facilitator, embed_origins=[CITY, "http://localhost:8080"])[
        "id"
    ]


def test_the_participation_page_may_be_framed_by_the_listed_origins_only(client, embeddable):
    response = client.get(f"/c/{embeddable}", headers=FRAMED)
    assert response.status_code == 200
    assert frame_ancestors(response) == [CITY, "http://localhost:8080"]


def test_a_vote_without_javascript_in_a_frame_answers_with_the_same_policy(client, embeddable):
    response = client.post(f"/c/{embeddable}/vote", data={"statement_id": "1", "vote": "1"})
    assert response.status_code == 302
    assert frame_ancestors(response) == [CITY, "http://localhost:8080"]


def test_a_consultation_without_origins_may_be_framed_nowhere(client, conversation):
    assert frame_ancestors(client.get(f"/c/{conversation['id']}", headers=FRAMED)) == ["'none'"]


@pytest.mark.parametrize(
    "path",
    [
        "/c/{cid}/votes",
        "/c/{cid}/results",
        "/c/{cid}/my-data",
        "/c/{cid}/report",
        "/",
        "/facilitate/login",
        f"{API}/{{cid}}",
        "/c/nosuch",
    ],
)
def test_every_other_page_may_be_framed_nowhere(client, embeddable, path):
    response = client.get(path.format(cid=embeddable), headers=FRAMED)
    assert response.status_code in (200, 404), path
    assert frame_ancestors(response) == ["'none'"]


# --- The frame token: voting in a frame that gets no cookie ------------------------------


@pytest.fixture
def cookieless(app: Flask, database_url: str) -> FlaskClient:
    """A browser in a third-party frame over plain HTTP: CSRF is on, no cookie comes back."""
    return make_app(database_url, csrf=True).test_client(use_cookies=False)


def framed_page(browser: FlaskClient, cid: str, **options: str) -> dict[str, str]:
    """The frame token, the forms' CSRF token and the statement shown, from a framed page."""
    html = browser.get(f"/c/{cid}", headers=FRAMED, **options).get_data(as_text=True)
    script = re.search(r'<script src="/static/js/embedded.js"([^>]*)>', html)
    assert script is not None, "the framed page has no embedded.js"
    return {
        "token": re.search(r'data-token="([^"]+)"', script[1])[1],
        "origins": re.search(r'data-origins="([^"]+)"', script[1])[1],
        "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', html)[1],
        "statement_id": re.search(r'id="statement-id" value="(\d+)"', html)[1],
    }


def vote(browser: FlaskClient, cid: str, page: dict[str, str], token: str | None = None, **form):
    body = {"csrf_token": page["csrf_token"], "statement_id": page["statement_id"], "vote": "1"}
    headers = {"Accept": "application/json"}
    if token is not None:
        headers["X-Embed-Token"] = token
    return browser.post(f"/c/{cid}/vote", data={**body, **form}, headers=headers)


def counts(client: FlaskClient, cid: str) -> dict[str, int]:
    return client.get(f"{API}/{cid}").json["counts"]


def test_a_framed_page_carries_the_token_and_the_origins(cookieless, embeddable):
    page = framed_page(cookieless, embeddable)
    assert page["origins"] == f"{CITY} http://localhost:8080"
    assert page["token"]


def test_a_page_opened_by_itself_has_no_frame_script(client, embeddable, conversation):
    assert "embedded.js" not in client.get(f"/c/{embeddable}", headers=TOP_LEVEL).get_data(
        as_text=True
    )
    framed = client.get(f"/c/{conversation['id']}", headers=FRAMED).get_data(as_text=True)
    assert "embedded.js" not in framed  # no site may embed that one


def test_without_cookies_the_token_keeps_one_participant_across_votes(
    cookieless, client, embeddable
):
    page = framed_page(cookieless, embeddable)
    first = vote(cookieless, embeddable, page, page["token"])
    assert first.status_code == 200, first.json
    assert "Set-Cookie" not in first.headers  # the page, not a cookie, holds the session
    following = first.json["next"]["id"]
    second = vote(cookieless, embeddable, page, page["token"], statement_id=str(following))
    assert second.status_code == 200, second.json
    assert counts(client, embeddable) == {"participants": 1, "votes": 2, "statements": 3}
    # The next statement the page asks for is one this participant has not voted on.
    after = cookieless.get(f"/c/{embeddable}/next", headers={"X-Embed-Token": page["token"]}).json
    assert after["remaining"] == 1
    assert after["next"]["id"] not in {int(page["statement_id"]), following}


def test_a_statement_added_in_a_frame_is_the_voters_own(cookieless, client, embeddable):
    page = framed_page(cookieless, embeddable)
    assert vote(cookieless, embeddable, page, page["token"]).status_code == 200
    added = cookieless.post(
        f"/c/{embeddable}/statements",
        data={"csrf_token": page["csrf_token"], "text": "Trams should run all night."},
        headers={"Accept": "application/json", "X-Embed-Token": page["token"]},
    )
    assert added.status_code == 201, added.json
    # One participant: the vote, and the agree that writing the statement counts as.
    assert counts(client, embeddable) == {"participants": 1, "votes": 2, "statements": 4}


def test_two_frames_are_two_participants(cookieless, client, embeddable):
    for _ in range(2):
        page = framed_page(cookieless, embeddable)
        assert vote(cookieless, embeddable, page, page["token"]).status_code == 200
    assert counts(client, embeddable)["participants"] == 2


def test_csrf_is_still_checked_with_a_token(cookieless, client, embeddable):
    page = framed_page(cookieless, embeddable)
    other = framed_page(cookieless, embeddable)
    refused = [
        vote(cookieless, embeddable, page, page["token"], csrf_token=""),
        vote(cookieless, embeddable, page, page["token"], csrf_token=other["csrf_token"]),
        vote(cookieless, embeddable, page),  # no token, and no cookie session either
    ]
    assert [r.status_code for r in refused] == [400, 400, 400]
    assert counts(client, embeddable)["votes"] == 0


@pytest.mark.parametrize("mangle", ["forged", "truncated", "other consultation"])
def test_a_bad_token_is_a_clear_400(cookieless, client, facilitator, embeddable, mangle):
    page = framed_page(cookieless, embeddable)
    token = {
        "forged": page["token"][:-4] + "AAAA",
        "truncated": page["token"][:10],
        "other consultation": framed_page(
            cookieless, create_conversation(client, facilitator, embed_origins=[CITY])["id"]
        )["token"],
    }[mangle]
    response = vote(cookieless, embeddable, page, token)
    assert response.status_code == 400
    assert "reload" in response.json["error"]["message"]
    assert counts(client, embeddable)["votes"] == 0


def test_a_token_never_acts_for_the_browsers_cookie_participant(
    app, database_url, client, embeddable
):
    """Someone else's page token sent with a browser's cookie votes as the token's
    participant, and the browser's session is left as it was."""
    browser = make_app(database_url, csrf=True).test_client()
    own = framed_page(browser, embeddable)
    assert vote(browser, embeddable, own).status_code == 200  # by cookie, as first party
    stranger = framed_page(make_app(database_url, csrf=True).test_client(), embeddable)
    with browser.session_transaction() as before:
        remembered = dict(before)
    response = vote(browser, embeddable, stranger, stranger["token"])
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    with browser.session_transaction() as after:
        assert dict(after) == remembered
    assert counts(client, embeddable)["participants"] == 2


# --- The session cookie in a frame over TLS ----------------------------------------------


def session_cookie(response) -> str:
    cookies = [v for v in response.headers.getlist("Set-Cookie") if v.startswith("consult_")]
    assert len(cookies) == 1, cookies
    return cookies[0]


def test_over_tls_a_framed_page_gets_a_partitioned_cookie(app, database_url, embeddable):
    browser = make_app(database_url, csrf=True, SESSION_COOKIE_SECURE=True).test_client()
    framed = browser.get(f"/c/{embeddable}", headers=FRAMED, base_url="https://localhost")
    cookie = session_cookie(framed)
    for attribute in ("SameSite=None", "Secure", "Partitioned"):
        assert attribute in cookie
    # The cookie brings the frame's participant token back: a reload is the same person.
    first = framed_page(browser, embeddable, base_url="https://localhost")
    again = framed_page(browser, embeddable, base_url="https://localhost")
    assert first["token"] == again["token"]
    elsewhere = framed_page(make_app(database_url, csrf=True).test_client(), embeddable)
    assert elsewhere["token"] != first["token"]


def test_over_tls_a_page_opened_by_itself_keeps_a_lax_cookie(app, database_url, embeddable):
    browser = make_app(database_url, csrf=True, SESSION_COOKIE_SECURE=True).test_client()
    cookie = session_cookie(
        browser.get(f"/c/{embeddable}", headers=TOP_LEVEL, base_url="https://localhost")
    )
    assert "SameSite=Lax" in cookie
    assert "Partitioned" not in cookie


def test_over_plain_http_a_framed_page_keeps_the_default_cookie(client, embeddable):
    cookie = session_cookie(client.get(f"/c/{embeddable}", headers=FRAMED))
    assert "SameSite=Lax" in cookie
    assert "Partitioned" not in cookie


# --- The code a facilitator copies ---------------------------------------------------------


def test_the_manage_page_gives_the_code_to_embed(client, facilitator):
    cid = create_conversation(client, facilitator, topic='Trams & "buses" <now>')["id"]
    client.post(
        "/facilitate/login", data={"email": facilitator.email, "password": facilitator.password}
    )
    page = client.get(f"/facilitate/c/{cid}").get_data(as_text=True)
    assert "embed-snippet" not in page  # no site may embed it yet: no code to copy
    client.patch(f"{API}/{cid}", json={"embed_origins": [CITY]}, headers=facilitator.headers)
    page = client.get(f"/facilitate/c/{cid}").get_data(as_text=True)
    shown = re.search(r'<textarea id="embed-snippet"[^>]*>([^<]*)</textarea>', page)[1]
    link = f"http://127.0.0.1:5000/c/{cid}"
    # The page shows the HTML as text; inside it, the topic is escaped as HTML itself.
    assert unescape(shown) == (
        f'<div data-consult-embed="{link}"><a href="{link}">'
        "Take part: Trams &amp; &quot;buses&quot; &lt;now&gt;</a></div>\n"
        '<script src="http://127.0.0.1:5000/static/js/embed.js" async></script>'
    )
