"""Settings from the environment: good values load, bad ones are one clear sentence."""

from __future__ import annotations

import pytest

from paperlab.errors import UsageError
from paperlab.settings import MB, load_settings


def test_defaults_and_derived_values(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PAPERLAB_HTTP_TIMEOUT", "PAPERLAB_HTTP_DEADLINE", "PAPERLAB_HTTP_RETRIES"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.http_timeout == 30.0 and settings.http_retries == 3
    assert settings.http_deadline == 300.0  # ten timeouts
    assert settings.max_pdf_bytes == 200 * MB and settings.max_api_bytes == 50 * MB
    monkeypatch.setenv("PAPERLAB_HTTP_TIMEOUT", "2")
    assert load_settings().http_deadline == 20.0


def test_good_values_are_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    values = {
        "PAPERLAB_ARXIV_DELAY": "0",
        "PAPERLAB_HTTP_TIMEOUT": "0.5",
        "PAPERLAB_HTTP_RETRIES": " 0 ",
        "PAPERLAB_HTTP_BACKOFF": "1e-2",
        "PAPERLAB_HTTP_DEADLINE": "90",
        "PAPERLAB_MAX_PDF_MB": "0.5",
        "PAPERLAB_MAX_API_MB": "10",
        "PAPERLAB_ARXIV_API_URL": "http://[::1]:8080/api/query",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    s = load_settings()
    assert (s.arxiv_delay, s.http_timeout, s.http_retries, s.http_backoff) == (0, 0.5, 0, 0.01)
    assert (s.http_deadline, s.max_pdf_bytes, s.max_api_bytes) == (90, MB // 2, 10 * MB)
    assert s.arxiv_api_url == "http://[::1]:8080/api/query"


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("PAPERLAB_ARXIV_DELAY", "inf", "is not a finite number"),
        ("PAPERLAB_ARXIV_DELAY", "nan", "is not a finite number"),
        ("PAPERLAB_ARXIV_DELAY", "-1", "is out of range"),
        ("PAPERLAB_ARXIV_DELAY", "1e9", "is out of range"),
        ("PAPERLAB_ARXIV_DELAY", "three", "is not a number"),
        ("PAPERLAB_HTTP_TIMEOUT", "0", "is out of range"),
        ("PAPERLAB_HTTP_TIMEOUT", "-inf", "is not a finite number"),
        ("PAPERLAB_HTTP_RETRIES", "1.5", "is not a whole number"),
        ("PAPERLAB_HTTP_RETRIES", "1000", "is out of range"),
        ("PAPERLAB_HTTP_BACKOFF", "NaN", "is not a finite number"),
        ("PAPERLAB_HTTP_DEADLINE", "0", "is out of range"),
        ("PAPERLAB_MAX_PDF_MB", "0", "is out of range"),
        ("PAPERLAB_MAX_API_MB", "-5", "is out of range"),
        ("PAPERLAB_ARXIV_API_URL", "ftp://arxiv.org/api/query", "is not a plain http(s) URL"),
        ("PAPERLAB_ARXIV_API_URL", "http://a:1\\@127.0.0.1:2/api", "is not a plain http(s) URL"),
        ("PAPERLAB_ARXIV_API_URL", "http://user@127.0.0.1/api", "is not a plain http(s) URL"),
        ("PAPERLAB_ARXIV_API_URL", "http://[::1/api", "is not a plain http(s) URL"),
        ("PAPERLAB_ARXIV_API_URL", "http://127.0.0.1:99999/api", "is not a plain http(s) URL"),
    ],
)
def test_bad_values_name_the_variable_and_the_range(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, says: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(UsageError) as info:
        load_settings()
    error = info.value
    assert error.exit_code == 2
    assert error.message == f"{name}={value!r} {says}."
    assert error.hint and name in error.hint
    if "URL" not in name:
        assert " from " in error.hint and " to " in error.hint


def test_a_long_value_is_echoed_cut_short(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERLAB_HTTP_TIMEOUT", "9" * 5000)
    with pytest.raises(UsageError) as info:
        load_settings()
    assert len(info.value.message) < 130 and "..." in info.value.message


def test_the_user_is_paperlab_user_else_the_login_name(monkeypatch: pytest.MonkeyPatch) -> None:
    import getpass

    from paperlab.settings import current_user

    monkeypatch.setenv("PAPERLAB_USER", "alice.b-c_d@lab")
    assert current_user() == "alice.b-c_d@lab" and load_settings().user == "alice.b-c_d@lab"
    monkeypatch.delenv("PAPERLAB_USER")
    monkeypatch.setenv("LOGNAME", "bob")  # getpass.getuser reads LOGNAME first
    assert current_user() == "bob"

    def no_login() -> str:
        raise OSError("no login name")

    monkeypatch.setattr(getpass, "getuser", no_login)
    assert current_user() == "me"


@pytest.mark.parametrize("value", ["alice smith", "x" * 65, "al'ice", "alice\n", "ünï"])
def test_a_bad_user_name_is_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("PAPERLAB_USER", value)
    with pytest.raises(UsageError) as caught:
        load_settings()
    assert caught.value.exit_code == 2
    assert "is not a user name" in caught.value.message and "PAPERLAB_USER" in str(
        caught.value.hint
    )
