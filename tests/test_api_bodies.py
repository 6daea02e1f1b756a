"""What an API body may be: a JSON object, within the size limit however it is sent."""

from __future__ import annotations

import io

import pytest
from conftest import join
from test_api import API, counts
from werkzeug.test import EnvironBuilder, run_wsgi_app


@pytest.mark.parametrize("raw", [b"null", b"[]", b"{", b"3", b'"x"'])
def test_body_that_is_not_a_json_object_is_a_400(client, facilitator, raw):
    response = client.post(
        API, data=raw, headers={**facilitator.headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_input"


@pytest.mark.parametrize(
    ("raw", "said"),
    [
        (b'{"topic": ' + b"9" * 5000 + b"}", "The body holds a number too long to read."),
        (b"[" * 100_000 + b"]" * 100_000, "The body is nested too deeply to read."),
        (b'{"topic": }', "The body is not valid JSON: Expecting value: line 1 column 11"),
        (b'{"topic": "\xff"}', "The body is not valid JSON: 'utf-8' codec can't decode"),
    ],
)
def test_an_unreadable_body_is_told_in_the_apis_words(client, facilitator, raw, said):
    response = client.post(
        API, data=raw, headers={**facilitator.headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json["error"]["message"].startswith(said)
    assert "sys." not in response.json["error"]["message"]


def test_oversize_body_is_a_413(client, facilitator):
    body = {"topic": "x", "description": "y" * 5_000_000}  # past even the 4 MiB of a creation
    response = client.post(API, json=body, headers=facilitator.headers)
    assert response.status_code == 413
    assert "error" in response.json


def chunked(client, url, body: bytes, headers):
    """A POST with no Content-Length, its body in chunks, as a streaming client sends it."""
    return client.post(
        url,
        input_stream=io.BytesIO(body),
        headers={**headers, "Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )


def test_a_chunked_body_past_the_limit_is_a_413_and_changes_nothing(client, conversation):
    cid = conversation["id"]
    headers = join(client, cid)
    statement = client.get(f"{API}/{cid}/statements").json["statements"][0]["id"]
    vote_body = b'{"statement_id": %d, "vote": 1}' % statement
    # Spaces after the object: cut at the limit, it would still read as the same vote.
    response = chunked(client, f"{API}/{cid}/votes", vote_body + b" " * (3 << 20), headers)
    assert response.status_code == 413
    assert response.json["error"]["code"] == "request_entity_too_large"
    assert counts(client, cid)["votes"] == 0
    assert chunked(client, f"{API}/{cid}/votes", vote_body, headers).status_code == 201
    assert counts(client, cid)["votes"] == 1


@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]
)
def test_a_form_body_is_refused_not_read_as_no_body(client, conversation, content_type):
    """A join whose xid came as a form would otherwise make an anonymous participant."""
    cid = conversation["id"]
    response = client.post(
        f"{API}/{cid}/participants", data=b"xid=a", headers={"Content-Type": content_type}
    )
    assert response.status_code == 400
    assert "Content-Type: application/json" in response.json["error"]["message"]
    assert counts(client, cid)["participants"] == 0
    assert client.post(f"{API}/{cid}/participants").status_code == 201  # no body at all: joins


def test_no_body_and_no_length_on_a_server_that_does_not_end_the_input_is_no_body(
    app, conversation
):
    """Werkzeug's own server hands over the socket itself: reading it to its end would wait
    for the client to hang up (`curl -X POST` sends no Content-Length)."""
    cid = conversation["id"]
    environ = EnvironBuilder(path=f"{API}/{cid}/participants", method="POST").get_environ()
    for key in ("CONTENT_LENGTH", "wsgi.input_terminated"):
        environ.pop(key, None)
    environ["wsgi.input"] = NeverEnds()
    _body, status, _headers = run_wsgi_app(app, environ, buffered=True)
    assert status.startswith("201")


class NeverEnds(io.RawIOBase):
    """A connection the client keeps open: reading it would wait forever (here, fail)."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        raise AssertionError("the input was read past the request's end")
