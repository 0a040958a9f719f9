"""Viewer tokens as a unit: signed, expiring, scoped, revoked by rotation."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path

import pytest

from jupyter_sse.server.auth import Principal
from jupyter_sse.server.secret import ServerSecret
from jupyter_sse.server.tokens import InvalidToken, PublishToken, check_label, mint, verify
from jupyter_sse.wire.errors import SSEValueError

SECRET = b"s" * 32


def test_valid_token_carries_scope_and_expiry() -> None:
    token = mint(SECRET, ["train/*", "eval"], 60, now=1000.0)
    grant = verify(SECRET, token, now=1059.0)
    assert grant.channels == ("train/*", "eval")
    assert grant.expires == 1060.0


def test_expired() -> None:
    token = mint(SECRET, ["a"], 60, now=1000.0)
    with pytest.raises(InvalidToken, match="expired"):
        verify(SECRET, token, now=1060.0)


def test_wrong_secret() -> None:
    token = mint(SECRET, ["a"], 60)
    with pytest.raises(InvalidToken, match="signature"):
        verify(b"other" * 8, token)


def test_tampered_scope_is_refused() -> None:
    """Widening the scope in the payload breaks the signature."""
    token = mint(SECRET, ["a"], 60)
    prefix, payload, signature = token.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=="))
    body["c"] = ["*"]
    forged = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
    with pytest.raises(InvalidToken, match="signature"):
        verify(SECRET, f"{prefix}.{forged}.{signature}")


@pytest.mark.parametrize("token", ["", "sv1.", "sv1.x.y", "abc", "sv1..", "sv2.a.b"])
def test_malformed(token: str) -> None:
    with pytest.raises(InvalidToken):
        verify(SECRET, token)


def test_wrong_scope() -> None:
    grant = verify(SECRET, mint(SECRET, ["train/*"], 60))
    viewer = Principal("viewer", "v", grant.channels)
    assert viewer.may_read("train/run-1")
    assert viewer.may_read("train/*")
    assert not viewer.may_read("eval")
    assert not viewer.may_read("*")
    assert not viewer.may_read("trainee")


def test_bad_mint_arguments() -> None:
    with pytest.raises(SSEValueError):
        mint(SECRET, [], 60)
    with pytest.raises(SSEValueError):
        mint(SECRET, ["bad name"], 60)
    with pytest.raises(SSEValueError):
        mint(SECRET, ["a"], 0)


def test_secret_file_persists_and_rotation_revokes(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    first = ServerSecret(path)
    token = mint(first.current(), ["a"], 60)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # A restarted server reads the same secret: the link still works.
    assert verify(ServerSecret(path).current(), token).channels == ("a",)
    ServerSecret(path).rotate()  # e.g. `jupyter sse rotate-secret` from another process
    with pytest.raises(InvalidToken, match="signature"):
        verify(first.current(), token)  # the running server re-reads the changed file


def test_publish_token_survives_restart_and_follows_rotation(tmp_path: Path) -> None:
    """A script's JUPYTER_SSE_TOKEN must keep working after the server restarts."""
    path = tmp_path / "secret"
    before = PublishToken(ServerSecret(path).current)
    after_restart = PublishToken(ServerSecret(path).current)
    assert before.value == after_restart.value
    assert before.value.startswith("sp1.")
    assert "hidden" in repr(before)
    old = before.value
    ServerSecret(path).rotate()
    assert before.value != old  # the running server follows the rotated file
    assert not before.matches(old)


def test_a_comment_link_says_so_and_carries_its_label() -> None:
    grant = verify(SECRET, mint(SECRET, ["a"], 60, comment=True, label="  Dana (review)  "))
    assert grant.comment is True
    assert grant.label == "Dana (review)"
    plain = verify(SECRET, mint(SECRET, ["a"], 60))
    assert plain.comment is False
    assert plain.label == "Guest"


def test_the_comment_claim_cannot_be_added_to_a_link() -> None:
    """A token minted without comment can never chat: adding the claim breaks it."""
    token = mint(SECRET, ["a"], 60)
    prefix, payload, signature = token.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=="))
    body["m"] = 1
    forged = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
    with pytest.raises(InvalidToken, match="signature"):
        verify(SECRET, f"{prefix}.{forged}.{signature}")


@pytest.mark.parametrize(
    "label",
    [
        "",
        "   ",
        "x" * 65,
        "line\nbreak",
        "tab\there",
        "bell\x07",
        "evil\u202egnp.exe",  # a right-to-left override
        "sv1.abc.def",
        "token sp1.k.mac",
        7,
        None,
    ],
)
def test_labels_that_are_refused(label: object) -> None:
    with pytest.raises(SSEValueError, match="label"):
        check_label(label)


def test_labels_people_use() -> None:
    for label in ("Dana", "Reviewer #2", "Zoë 🔬", "李雷", "x" * 64):
        assert check_label(label) == label
