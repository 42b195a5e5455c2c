"""The one reading of a target URL: parsed once with urllib3 (what requests sends through), refused when unsafe.

Every request of a run is built from `TargetUrl.base_url`, and the HTTP layer refuses a URL of another origin.
"""

from __future__ import annotations

import ipaddress
import re
import string
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from pcaps_contract._errors import UsageError

PRODUCTION_HOSTS = frozenset({"api.cloudflare.com"})
DEFAULT_PORTS = {"http": 80, "https": 443}
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
# A last label that a URL parser may read as a number: decimal, octal or hex IPv4 shorthand (`2130706433`, `0x7f`).
_NUMERIC_LABEL = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)")
_PERCENT_TRIPLET = re.compile(r"%(?![0-9A-Fa-f]{2})")
_ALLOWED = frozenset(string.ascii_letters + string.digits + "-._~:/[]%!$&'()*+,;=")


class Refusal(UsageError):
    """The run would put a target or a secret at risk; nothing was sent."""


@dataclass(frozen=True)
class TargetUrl:
    """A base URL as every request of a run is built from it.

    `host` is lowercase and without brackets (`::1`, not `[::1]`), so that `ipaddress` reads it as is;
    `base_url` and `origin` put the brackets back and leave out a default port.
    """

    scheme: str
    host: str
    port: int
    path: str

    @property
    def _netloc(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"

    @property
    def origin(self) -> str:
        """`scheme://host[:port]`, the part of a URL a request may not change."""
        return f"{self.scheme}://{self._netloc}"

    @property
    def base_url(self) -> str:
        """The canonical base URL (no trailing slash) that every request is built from."""
        return self.origin + self.path

    @property
    def is_loopback(self) -> bool:
        """Whether the host is this machine: 127.0.0.0/8, ::1 or exactly `localhost`."""
        return _is_loopback_host(self.host)

    @property
    def is_production(self) -> bool:
        return self.host in PRODUCTION_HOSTS

    def same_origin(self, url: str) -> bool:
        """Whether `url`, read by the same parser and the same rules, has exactly this scheme, host and port."""
        try:
            other = _parse(url, flag="url", allow_path_extras=True)
        except (UsageError, ValueError):
            return False
        return (other.scheme, other.host, other.port) == (self.scheme, self.host, self.port)


def is_loopback(host: str) -> bool:
    """Whether a host (bracketed IPv6 allowed) is 127.0.0.0/8, ::1 or exactly `localhost`."""
    name = host.lower()
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
        if ":" not in name:
            return False  # brackets hold an IPv6 address: `[localhost]` is no host at all
    return _is_loopback_host(name)


def _is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    # Only the canonical spelling counts: `127.1` or `0x7f.1` read differently from one parser to the next.
    return address.is_loopback and str(address) == host


def parse_target(text: str | None, *, allow_production: bool, flag: str = "--base-url") -> TargetUrl:
    """The target of a run, read once, or a Refusal saying in one sentence what is wrong and how to fix it.

    Args:
        text: the base URL as typed, e.g. `https://staging.example.com/client/v4`.
        allow_production: whether `api.cloudflare.com` may be the target.
        flag: the option the URL came from, named in refusals.
    """
    if not text:
        raise Refusal(f"no target: pass {flag}, e.g. https://staging.example.com/client/v4.")
    target = _parse(text, flag=flag, allow_path_extras=False)
    if target.is_production and not allow_production:
        raise Refusal(
            f"{target.host} is Cloudflare's production API; aim at a staging deployment, "
            "or pass --allow-production if you really mean it."
        )
    if target.scheme == "http" and not target.is_loopback:
        raise Refusal(
            f"refusing to send credentials over plain http:// to {target.host}; "
            "use https://, or a loopback address (127.0.0.1, [::1], localhost)."
        )
    return target


class UnsendableSegment(UsageError):
    """A value that cannot be one segment of a URL path: nothing was sent."""


def api_path(*segments: str) -> str:
    """`/a/b/c` from decoded segments, each percent-encoded exactly once (a `/` in a value stays in its segment).

    Raises UnsendableSegment (and nothing else) for a segment no URL can carry as itself: not a string, empty,
    `.` or `..`, or text that has no UTF-8 form (a lone surrogate, as JSON may hold).
    """
    for segment in segments:
        if not isinstance(segment, str):
            kind = type(segment).__name__
            raise UnsendableSegment(f"path segment of type {kind} is not text; pass a real identifier.")
        if segment in ("", ".", ".."):
            # Servers and HTTP libraries fold `.`/`..` (even as `%2E`) into another path: never send one.
            raise UnsendableSegment(
                f"path segment {segment!r} would change which URL is asked; pass a real identifier."
            )
        try:
            segment.encode("utf-8")
        except UnicodeEncodeError:
            raise UnsendableSegment(
                f"path segment {_shown(segment)} holds a lone surrogate, which has no UTF-8 form; "
                "pass a real identifier."
            ) from None
    return "".join("/" + quote(segment, safe="") for segment in segments)


def _shown(value: str) -> str:
    """Text as one short line of ASCII: escaped, never more than 80 characters."""
    text = ascii(value)
    return text if len(text) <= 80 else text[:79] + "~"


def _parse(text: str, *, flag: str, allow_path_extras: bool) -> TargetUrl:
    """Read a URL with urllib3 after refusing every form that parsers read differently.

    A base URL is judged whole; a request URL (`allow_path_extras`) by its scheme and authority only, since the
    HTTP library percent-encodes its path and query and they cannot move it to another origin.
    """
    shown = ascii(text)
    scheme, separator, rest = text.partition("://")
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    raw_path = rest[len(authority) :]
    judged = scheme + separator + authority if allow_path_extras else text
    bad = next((char for char in judged if char.isspace() or not char.isprintable()), None)
    if bad is not None:
        raise Refusal(f"{flag} {shown} contains the whitespace or control character {bad!r}; remove it.")
    if "\\" in judged:
        raise Refusal(f"{flag} {shown} contains a backslash, which URL parsers read differently; remove it.")
    if not judged.isascii():
        raise Refusal(f"{flag} {shown} contains non-ASCII characters (look-alike dots, IDNA); write the host in ASCII.")
    scheme = scheme.lower()
    if not separator or scheme not in DEFAULT_PORTS:
        raise Refusal(f"{flag} {shown} is not an http(s) URL; write e.g. https://staging.example.com/client/v4.")
    if "@" in authority or (not allow_path_extras and "@" in raw_path):
        raise Refusal(f"{flag} {shown} carries a user name or an `@`; credentials go in --token, not in the URL.")
    if not allow_path_extras and ("?" in raw_path or "#" in raw_path):
        raise Refusal(f"{flag} {shown} has a query or a fragment; a base URL is scheme, host, port and path only.")
    if "%" in authority:
        raise Refusal(f"{flag} {shown} has percent-encoded bytes (or an IPv6 zone id) in its host; write it plainly.")
    host_text, port = _split_port(authority, flag, shown, scheme)
    host = _check_host(host_text.lower(), flag, shown)
    path = raw_path if allow_path_extras else raw_path.rstrip("/")
    if not allow_path_extras:
        if any(char not in _ALLOWED for char in path) or _PERCENT_TRIPLET.search(path):
            raise Refusal(f"{flag} {shown} has characters in its path that must be percent-encoded; encode them.")
        if any(segment in (".", "..") for segment in path.split("/")):
            raise Refusal(f"{flag} {shown} has `.` or `..` segments in its path; write the path they lead to.")
    target = TargetUrl(scheme, host, port, path)
    _agree(judged, target, flag, shown, check_path=not allow_path_extras)
    return target


def _split_port(authority: str, flag: str, shown: str, scheme: str) -> tuple[str, int]:
    """The host text and the port (the scheme's default when none is written)."""
    if authority.startswith("["):
        host, bracket, after = authority[1:].partition("]")
        if not bracket:
            raise Refusal(f"{flag} {shown} opens an IPv6 `[` without closing it; write e.g. http://[::1]:8787.")
        if after and not after.startswith(":"):
            raise Refusal(f"{flag} {shown} has text after its IPv6 address; write e.g. http://[::1]:8787.")
        port_text = after[1:] if after else None
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise Refusal(f"{flag} {shown} has {host!r} in brackets, which is no IPv6 address; fix the host.") from None
        host = host.lower()
        # Kept as ipaddress writes it, so that `[::1]` and `[0:0::1]` are one host for the same-origin rule.
        host = str(ipaddress.IPv6Address(host))
    else:
        host, colon, port_text_or_empty = authority.partition(":")
        port_text = port_text_or_empty if colon else None
        if ":" in port_text_or_empty:
            raise Refusal(f"{flag} {shown} has more than one `:` in its host; bracket IPv6 addresses, e.g. [::1].")
    if port_text is None:
        return host, DEFAULT_PORTS[scheme]
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise Refusal(f"{flag} {shown} has port {port_text!r}; write a port from 1 to 65535, or none.")
    return host, int(port_text)


def _check_host(host: str, flag: str, shown: str) -> str:
    """The host, if it is an IPv6 address, a dotted-quad IPv4 address or a valid DNS name."""
    if ":" in host:
        return host  # an IPv6 address, already checked and written canonically
    if not host:
        raise Refusal(f"{flag} {shown} has no host; write e.g. https://staging.example.com/client/v4.")
    if host.endswith("."):
        raise Refusal(f"{flag} {shown} ends its host with a dot; remove the trailing dot(s).")
    labels = host.split(".")
    if _NUMERIC_LABEL.fullmatch(labels[-1]):
        try:
            address = ipaddress.IPv4Address(host)
        except ValueError:
            address = None
        if address is None or str(address) != host:
            raise Refusal(
                f"{flag} {shown} writes an IPv4 address in a form parsers read differently; write a dotted quad."
            )
        return host
    if len(host) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise Refusal(f"{flag} {shown} has {host!r}, which is not a valid DNS name or IP address; fix the host.")
    return host


def _agree(text: str, target: TargetUrl, flag: str, shown: str, *, check_path: bool) -> None:
    """Refuse unless urllib3, on the text and on the canonical string, reads what the rules above read."""
    from urllib3.exceptions import LocationParseError  # here: the command line's --help need not load urllib3
    from urllib3.util import parse_url

    canonical = target.base_url if check_path else target.origin
    readings = []
    for candidate in (text, canonical):
        try:
            parsed = parse_url(candidate)
        except LocationParseError:
            raise Refusal(
                f"{flag} {shown} is not a URL urllib3 can read; write e.g. https://staging.example.com/client/v4."
            ) from None
        host = (parsed.host or "").lower()
        if host.startswith("[") and host.endswith("]"):
            host = _canonical_ipv6(host[1:-1])
        port = parsed.port if parsed.port is not None else DEFAULT_PORTS.get(parsed.scheme or "", -1)
        path = (parsed.path or "").rstrip("/") if check_path else target.path
        readings.append((parsed.scheme, parsed.auth, host, port, path))
    split = urlsplit(canonical)
    readings.append(
        (
            split.scheme,
            None,
            (split.hostname or "").lower(),
            split.port or DEFAULT_PORTS[target.scheme],
            split.path if check_path else target.path,
        )
    )
    expected = (target.scheme, None, target.host, target.port, target.path)
    if any(reading != expected for reading in readings):
        raise Refusal(
            f"{flag} {shown} is read differently by different URL parsers; write it plainly, e.g. {target.base_url}."
        )


def _canonical_ipv6(text: str) -> str:
    try:
        return str(ipaddress.IPv6Address(text))
    except ValueError:
        return "[" + text + "]"  # never equal to a checked host: the readings disagree, and the URL is refused
