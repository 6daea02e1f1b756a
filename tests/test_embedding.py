"""Embedding a consultation in another site: the facilitator's list of origins, the frame
policy each page answers with, the session cookie in a frame, and the page's token."""

from __future__ import annotations

import pytest
from conftest import create_conversation

API = "/api/v1/conversations"
CITY = "https://city.example"


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
    assert refused.status_code == 302
    assert client.get(f"{API}/{cid}").json["embed_origins"] == [CITY, "http://localhost:8080"]
    assert "is not an origin" in client.get(f"/facilitate/c/{cid}").get_data(as_text=True)
