"""The one URL parser: every form that parsers read differently is refused, plain forms are read once, exactly."""

from __future__ import annotations

import string
from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pcaps_contract._errors import UsageError
from pcaps_contract._urls import Refusal, TargetUrl, UnsendableSegment, api_path, is_loopback, parse_target
from pcaps_contract.engine.targets import base_url_target

P = 8787
# Each of these reached another host than it seemed to, reached production, or could have: (url, why refused).
REFUSED = [
    (f"http://api.cloudflare.com\\@127.0.0.1:{P}/client/v4", "backslash"),
    (f"http://127.0.0.1:{P}\\@api.cloudflare.com/client/v4", "backslash"),
    ("https://api%2ecloudflare.com/client/v4", "percent-encoded"),
    ("https://api.cloudflare%2Ecom/client/v4", "percent-encoded"),
    (f"http://user@127.0.0.1:{P}/client/v4", "user name"),
    (f"http://:pass@127.0.0.1:{P}/client/v4", "user name"),
    (f"http://api.cloudflare.com:443@127.0.0.1:{P}/client/v4", "user name"),
    (f"http://127.0.0.1:{P}/client/v4@api.cloudflare.com", "user name"),
    (f"http://[::1%25eth0]:{P}/client/v4", "zone id"),
    ("https://Api.CloudFlare.com/client/v4", "production API"),
    ("https://api.cloudflare.com./client/v4", "trailing dot"),
    ("https://api.cloudflare.com../client/v4", "trailing dot"),
    (f"http://127.0.0.1:{P}/client/v4\t", "whitespace"),
    (f"http://127.0.0.1:{P}/cli\nent/v4", "whitespace"),
    (f"http://127.0.0.1:{P} /client/v4", "whitespace"),
    (f"http://127.0.0.1:{P}#@api.cloudflare.com", "user name"),
    (f"http://127.0.0.1:{P}?x=@api.cloudflare.com", "user name"),
    (f"http://127.0.0.1:{P}/client/v4?x=1", "query or a fragment"),
    (f"http://127.0.0.1:{P}/client/v4#top", "query or a fragment"),
    (f"http://2130706433:{P}/client/v4", "IPv4"),
    (f"http://0x7f.1:{P}/client/v4", "IPv4"),
    (f"http://0177.0.0.1:{P}/client/v4", "IPv4"),
    (f"http://127.1:{P}/client/v4", "IPv4"),
    ("https://api\uff0ecloudflare\uff0ecom/client/v4", "non-ASCII"),
    ("https://xn--pi-ska.cloudflare.com\u200b/client/v4", "whitespace or control"),
    ("HTTP://API.CLOUDFLARE.COM", "production API"),
    ("https://api.cloudflare.com:443/client/v4", "production API"),
    ("http://foo.localhost/client/v4", "plain http"),
    (f"http://0.0.0.0:{P}/client/v4", "plain http"),
    ("http://staging.example.com/client/v4", "plain http"),
    ("https://staging.example.com:0/client/v4", "port"),
    ("https://staging.example.com:65536/client/v4", "port"),
    ("https://staging.example.com:/client/v4", "port"),
    ("https://staging.example.com:80a/client/v4", "port"),
    ("https:///client/v4", "no host"),
    ("https://stag_ing.example.com/client/v4", "not a valid DNS name"),
    ("https://-staging.example.com/client/v4", "not a valid DNS name"),
    ("https://[::1/client/v4", "IPv6"),
    (f"http://[::1]x:{P}/client/v4", "text after its IPv6 address"),
    (f"http://[::1]]:{P}/client/v4", "text after its IPv6 address"),
    ("https://[fe80::zz]/client/v4", "no IPv6 address"),
    ("https://::1/client/v4", "more than one"),
    ("ftp://staging.example.com/client/v4", "not an http"),
    ("staging.example.com/client/v4", "not an http"),
    ("https://staging.example.com/a/../client/v4", "segments"),
    ("https://staging.example.com/a/./client/v4", "segments"),
    # urllib3 sends `%2F` for `%2f`: a path it rewrites is a path the run would not be asking for.
    ("https://staging.example.com/client/v4/a%2fb", "read differently"),
    ('https://staging.example.com/client/v4"', "percent-encoded"),
    ("https://staging.example.com/client/%zz", "percent-encoded"),
]
ACCEPTED = [
    (f"http://127.0.0.1:{P}/client/v4", TargetUrl("http", "127.0.0.1", P, "/client/v4")),
    (f"http://[::1]:{P}/client/v4", TargetUrl("http", "::1", P, "/client/v4")),
    ("http://localhost:1/client/v4", TargetUrl("http", "localhost", 1, "/client/v4")),
    ("http://127.8.9.10/client/v4/", TargetUrl("http", "127.8.9.10", 80, "/client/v4")),
    ("https://staging.example.com/client/v4", TargetUrl("https", "staging.example.com", 443, "/client/v4")),
    ("HTTPS://Staging.Example.COM:8443/client/v4", TargetUrl("https", "staging.example.com", 8443, "/client/v4")),
    ("https://10.0.0.5", TargetUrl("https", "10.0.0.5", 443, "")),
    ("https://[::1]/client/v4", TargetUrl("https", "::1", 443, "/client/v4")),
    ("https://staging.example.com:65535/X", TargetUrl("https", "staging.example.com", 65535, "/X")),
    (f"http://127.0.0.1:{P}/client/v4/a://b", TargetUrl("http", "127.0.0.1", P, "/client/v4/a://b")),
]
# The longest DNS name there is: three labels of 63 characters and one of 61, with the dots 253 characters.
LONGEST_HOST = ".".join(["a" * 63] * 3 + ["a" * 61])


@pytest.mark.parametrize(("url", "reason"), REFUSED)
def test_forms_that_parsers_read_differently_are_refused_in_one_sentence(url: str, reason: str) -> None:
    with pytest.raises(Refusal) as refused:
        parse_target(url, allow_production=False)
    message = str(refused.value)
    assert reason.lower() in message.lower() and "\n" not in message and message.endswith(".")


@pytest.mark.parametrize(
    ("url", "reason"), [(url, reason) for url, reason in REFUSED if reason not in ("production API", "plain http")]
)
def test_a_refusal_names_the_flag_and_shows_the_url_as_typed(url: str, reason: str) -> None:
    with pytest.raises(Refusal) as refused:
        parse_target(url, allow_production=False, flag="--app-url")
    assert str(refused.value).startswith(f"--app-url {url!a} ")
    with pytest.raises(Refusal, match=r"^--base-url "):
        parse_target(url, allow_production=False)


def test_the_refusals_of_production_and_plain_http_say_how_to_go_on() -> None:
    with pytest.raises(Refusal, match="or pass --allow-production if you really mean it"):
        parse_target("https://api.cloudflare.com/client/v4", allow_production=False)
    with pytest.raises(Refusal, match=r"use https://, or a loopback address \(127.0.0.1, \[::1\], localhost\)"):
        parse_target("http://staging.example.com/client/v4", allow_production=False)


def test_a_dns_name_may_be_253_characters_long_and_no_longer() -> None:
    assert parse_target(f"https://{LONGEST_HOST}/x", allow_production=False).host == LONGEST_HOST
    with pytest.raises(Refusal, match="not a valid DNS name"):
        parse_target(f"https://{LONGEST_HOST}a/x", allow_production=False)


@pytest.mark.parametrize(("url", "reason"), [(url, reason) for url, reason in REFUSED if "production" not in reason])
def test_allow_production_does_not_talk_any_other_refusal_around(url: str, reason: str) -> None:
    with pytest.raises(Refusal, match="(?i)" + reason.split()[0]):
        parse_target(url, allow_production=True)


@pytest.mark.parametrize(("url", "target"), ACCEPTED)
def test_plain_forms_are_read_once_into_their_canonical_base_url(url: str, target: TargetUrl) -> None:
    assert parse_target(url, allow_production=False) == target


def test_the_production_host_is_accepted_only_with_allow_production() -> None:
    url = "https://api.cloudflare.com/client/v4"
    with pytest.raises(Refusal, match="production API"):
        parse_target(url, allow_production=False)
    target = parse_target(url, allow_production=True)
    assert target.base_url == url and target.is_production and not target.is_loopback
    assert parse_target("https://API.cloudflare.com:443/client/v4/", allow_production=True).base_url == url


def test_no_url_is_a_refusal_naming_the_flag() -> None:
    for text in (None, ""):
        with pytest.raises(Refusal, match="--app-url"):
            parse_target(text, allow_production=False, flag="--app-url")


def test_base_url_and_origin_put_ipv6_brackets_back_and_leave_default_ports_out() -> None:
    assert parse_target("http://[0:0::1]:8787/x", allow_production=False).base_url == "http://[::1]:8787/x"
    target = parse_target("https://staging.example.com:443/client/v4", allow_production=False)
    assert target.origin == "https://staging.example.com" and target.base_url == target.origin + "/client/v4"


def test_same_origin_accepts_the_targets_own_urls_and_refuses_any_other_origin() -> None:
    target = parse_target(f"http://127.0.0.1:{P}/client/v4", allow_production=False)
    assert target.same_origin(f"http://127.0.0.1:{P}/client/v4/accounts/a/pcaps/ownership?x=%40y")
    assert target.same_origin(f"HTTP://127.0.0.1:{P}/other/path")
    for other in (
        f"http://127.0.0.1:{P + 1}/client/v4",
        "http://127.0.0.1/client/v4",
        f"https://127.0.0.1:{P}/client/v4",
        f"http://localhost:{P}/client/v4",
        f"http://api.cloudflare.com\\@127.0.0.1:{P}/client/v4",
        f"http://x@127.0.0.1:{P}/client/v4",
        f"http://127.0.0.1.:{P}/client/v4",
        f"http://2130706433:{P}/client/v4",
        "not a url",
    ):
        assert not target.same_origin(other), other


def test_same_origin_judges_a_request_url_by_its_scheme_and_authority_only() -> None:
    target = parse_target(f"http://127.0.0.1:{P}/client/v4", allow_production=False)
    # The HTTP library percent-encodes path and query: they cannot move the request to another origin.
    assert target.same_origin(f"http://127.0.0.1:{P}/client/v4/a b\\é")
    assert target.same_origin(f"http://127.0.0.1:{P}/client/v4/next?to=https://api.cloudflare.com/")


def test_same_origin_fills_in_default_ports() -> None:
    target = parse_target("https://staging.example.com/client/v4", allow_production=False)
    assert target.same_origin("https://staging.example.com:443/client/v4/accounts")
    assert not target.same_origin("https://staging.example.com:8443/client/v4/accounts")


def test_is_loopback_reads_a_bracketed_ipv6_host_and_any_case_of_localhost() -> None:
    assert is_loopback("[::1]") and is_loopback("::1") and is_loopback("LocalHost") and is_loopback("127.0.0.1")
    assert not is_loopback("[::1") and not is_loopback("(::1]") and not is_loopback("[127.0.0.1)")
    assert not is_loopback("[::2]") and not is_loopback("0:0::1")
    # Brackets hold an IPv6 address and nothing else: `[localhost]` and `[127.0.0.1]` are no host at all.
    assert not is_loopback("[localhost]") and not is_loopback("[127.0.0.1]")


def test_api_path_quotes_each_decoded_segment_exactly_once() -> None:
    path = api_path("accounts", "a/b?c#d%41", "pcaps", "ownership", "id@x")
    assert path == "/accounts/a%2Fb%3Fc%23d%2541/pcaps/ownership/id%40x"
    assert api_path("accounts", "023e105f4ecef8ad9ca31a8372d0c353") == "/accounts/023e105f4ecef8ad9ca31a8372d0c353"


@pytest.mark.parametrize("segment", ["", ".", ".."])
def test_api_path_refuses_segments_that_would_change_the_path(segment: str) -> None:
    with pytest.raises(UsageError, match="identifier"):
        api_path("accounts", segment, "pcaps")


# Hostile text: lone surrogates, controls, format characters, separators, and every character paths are cut on.
HOSTILE_TEXT = st.text(
    st.one_of(
        st.characters(categories=["Cs", "Cc", "Cf", "Zs", "Zl", "Zp", "Lu", "Nd"]),
        st.sampled_from("/\\%?#;.@:+&= \t\r\n\x00\x1b"),
    ),
    max_size=40,
)


@given(st.lists(HOSTILE_TEXT, min_size=1, max_size=4))
def test_api_path_gives_exactly_one_quoted_segment_per_value_or_refuses_in_one_sentence(segments: list[str]) -> None:
    try:
        path = api_path(*segments)
    except UnsendableSegment as refusal:
        message = str(refusal)
        assert message.endswith("pass a real identifier.") and message.isascii() and "\n" not in message
        assert any(
            segment in ("", ".", "..") or any("\ud800" <= char <= "\udfff" for char in segment) for segment in segments
        )
        return
    assert path.isascii() and set(path) <= set(string.ascii_letters + string.digits + "%/-._~")
    parts = path.split("/")
    assert parts[0] == "" and [unquote(part, errors="strict") for part in parts[1:]] == segments


@pytest.mark.parametrize("value", [None, 7, ["a"], {"id": "a"}, b"abc"])
def test_api_path_refuses_a_value_that_is_not_text(value: object) -> None:
    with pytest.raises(UnsendableSegment, match="is not text"):
        api_path("accounts", value)  # type: ignore[arg-type]


def test_base_url_target_gives_parse_targets_refusals_and_its_canonical_url() -> None:
    for url, _ in REFUSED:
        with pytest.raises(Refusal):
            base_url_target(url)
    assert base_url_target("HTTP://LOCALHOST:1/client/v4/").base_url == "http://localhost:1/client/v4"
    assert base_url_target("https://api.cloudflare.com/client/v4", allow_production=True).base_url == (
        "https://api.cloudflare.com/client/v4"
    )
