"""Credentials for the API under test, read from options or the environment variables users already set; and
`Redactor`, the one redaction of every secret out of every text, before anything renders it."""

from __future__ import annotations

import html
import json
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import parse_qs, quote, quote_plus

from pcaps_contract._errors import UsageError

TOKEN_ENV = "CLOUDFLARE_API_TOKEN"
EMAIL_ENV = "CLOUDFLARE_EMAIL"
API_KEY_ENV = "CLOUDFLARE_API_KEY"
ACCOUNT_ENV = "CLOUDFLARE_ACCOUNT_ID"
# A cut (ours `…`, schemathesis's `...`, or the end of a clipped value) may leave only a secret's start or end:
# a start of at least this many characters just before a cut, or an end just after one, is redacted too. Shorter
# pieces are not: seven characters of a token are as likely to be any other text, and would be replaced wherever
# they stand next to a cut. A whole secret is replaced whatever its length.
FRAGMENT_MIN = 8
# The keys an `r2://` destination_conf carries (`r2://BUCKET?account-id=...&access-key-id=...&secret-access-key=...`),
# with the variable each is shown as.
R2_KEYS = (("secret-access-key", "$R2_SECRET_ACCESS_KEY"), ("access-key-id", "$R2_ACCESS_KEY_ID"))
# The headers of the API's two credential styles (`Credentials.styles`), lowercase: a bearer token, or the
# X-Auth-Email + X-Auth-Key pair.
CREDENTIAL_HEADERS = frozenset({"authorization", "x-auth-email", "x-auth-key"})
# Headers never copied into a reproduction: the credentials come back as environment variables instead, and a
# cookie may hold another service's session, though the API reads none.
SECRET_HEADERS = CREDENTIAL_HEADERS | {"cookie"}


def carries_credentials(header_names: Iterable[str]) -> bool:
    """Whether a request with these headers was sent with credentials of either style, whole or in part.

    A reproduction drops every secret header and puts the run's credentials back, as variables, exactly when this
    holds. Any header of either style counts (an X-Auth-Email alone too, the key pair's half): the API answers a
    request with some credential differently from one with none. A cookie alone does not: the API reads none, so
    its request was anonymous and its reproduction must stay so.
    """
    return any(name.lower() in CREDENTIAL_HEADERS for name in header_names)


@dataclass(frozen=True, repr=False)
class Credentials:
    """A bearer token, the `X-Auth-Email` + `X-Auth-Key` pair, or both (each style then judged); `repr` never shows a
    secret. With both, the token is the style every request carries unless a style is chosen (`styles`)."""

    token: str | None = None
    email: str | None = None
    api_key: str | None = None
    # Other secrets of the run that requests carry (e.g. the keys in an `r2://` --bucket URI), with the variable
    # each is shown as: redacted like the credentials, never sent as headers.
    others: tuple[tuple[str, str], ...] = ()
    # A redaction that already holds these secrets and more (a proxy's, grown with the traffic): used instead of one
    # of their own.
    shared: Redactor | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if (self.email or self.api_key or not self.token) and not (self.email and self.api_key):
            missing = "--api-key" if self.email else "--email"
            raise UsageError(f"{missing} is missing: the email and the API key go together.")

    def __repr__(self) -> str:
        shown = [*(["token=***"] if self.token else []), *(["email=***", "api_key=***"] if self.email else [])]
        return f"Credentials({', '.join(shown)})"

    @property
    def has_key_pair(self) -> bool:
        return bool(self.email and self.api_key)

    def styles(self) -> list[tuple[str, dict[str, str]]]:
        """Each style these credentials hold, as (its name, the headers that authenticate a request with it)."""
        token = [("the API token", {"Authorization": f"Bearer {self.token}"})] if self.token else []
        pair = {"X-Auth-Email": self.email or "", "X-Auth-Key": self.api_key or ""}
        return [*token, *([("the X-Auth-Email + X-Auth-Key pair", pair)] if self.has_key_pair else [])]

    def headers(self) -> dict[str, str]:
        """The headers that authenticate a request: the first style's (the token's, when there is one)."""
        return self.styles()[0][1]

    def curl_headers(self) -> list[str]:
        """The same headers for a shell command, referring to the secrets by environment variable."""
        if self.token:
            return [f'-H "Authorization: Bearer ${TOKEN_ENV}"']
        return [f'-H "X-Auth-Email: ${EMAIL_ENV}"', f'-H "X-Auth-Key: ${API_KEY_ENV}"']

    @cached_property
    def redactor(self) -> Redactor:
        """The redaction of every secret these credentials hold (built on first use)."""
        if self.shared is not None:
            return self.shared
        return Redactor(
            (
                (self.token, f"${TOKEN_ENV}"),
                (self.email, f"${EMAIL_ENV}"),
                (self.api_key, f"${API_KEY_ENV}"),
                *self.others,
            )
        )

    def redact(self, text: str) -> str:
        """The text with every secret (also JSON-, URL- or HTML-escaped, or cut short) replaced by its variable.

        Redact data before cutting, joining or rendering it: a value cut first may keep a piece of a secret that no
        longer matches it, and an escape applied first changes what the secret looks like.
        """
        return self.redactor(text)

    @property
    def is_key_pair(self) -> bool:
        return not self.token


def resolve_credentials(
    token: str | None,
    email: str | None,
    api_key: str | None,
    environ: Mapping[str, str],
    default: Credentials | None = None,
) -> Credentials:
    """The credentials from options, else from the environment, else the default (the bundled mock's).

    A token and a key pair may come together (both styles are then judged): from the options, or, when no option
    gives any, from every variable that is set.
    """
    if token or email or api_key:
        return Credentials(token=token, email=email, api_key=api_key)
    token, email, api_key = (environ.get(name) or None for name in (TOKEN_ENV, EMAIL_ENV, API_KEY_ENV))
    if email and api_key:
        return Credentials(token=token, email=email, api_key=api_key)
    if token:
        return Credentials(token=token)
    if email or api_key:
        raise UsageError(f"set both {EMAIL_ENV} and {API_KEY_ENV}, or {TOKEN_ENV}.")
    if default is not None:
        return default
    raise UsageError(f"no credentials: pass --token (or --email and --api-key), or set {TOKEN_ENV}.")


def redacting_placeholder(
    token: str | None, email: str | None, api_key: str | None, environ: Mapping[str, str]
) -> Credentials:
    """Credentials for the report of a run refused before its credentials were whole: they send nothing (the
    token is its own variable name) and redact every secret the flags or the environment gave."""
    given = [(token, TOKEN_ENV), (email, EMAIL_ENV), (api_key, API_KEY_ENV)]
    given += [(environ.get(name), name) for name in (TOKEN_ENV, EMAIL_ENV, API_KEY_ENV)]
    return Credentials(token=f"${TOKEN_ENV}", others=tuple((value, f"${name}") for value, name in given if value))


def r2_secrets(uri: str) -> list[tuple[str, str]]:
    """The keys an `r2://` URI carries, each with the variable it is shown as: as a URL decodes them and as they
    are written in it (a `+` or a `%2F` may stand in either form in a body or a report)."""
    if not uri.startswith("r2://"):
        return []
    query = uri.partition("?")[2].partition("#")[0]  # never a URL parser: `r2://[` is text from outside too
    decoded = parse_qs(query)
    written = dict(pair.partition("=")[::2] for pair in query.split("&"))
    return [
        (value, name) for key, name in R2_KEYS for value in (decoded.get(key, [""])[0], written.get(key, "")) if value
    ]


def redact_data(data: Any, redact: Redact) -> Any:
    """JSON-like data with every string in it (keys too) redacted, each on its own, before anything cuts or joins."""
    if isinstance(data, str):
        return redact(data)
    if isinstance(data, dict):
        return {redact_data(key, redact): redact_data(value, redact) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [redact_data(item, redact) for item in data]
    return data


def redact_bytes(data: bytes, redact: Redact) -> bytes:
    """Bytes with every secret replaced; bytes without one come back unchanged, byte for byte."""
    text = data.decode("utf-8", "surrogateescape")
    cleaned = redact(text)
    return data if cleaned == text else cleaned.encode("utf-8", "surrogateescape")


Redact = Callable[[str], str]


# --- the one redaction ----------------------------------------------------------------------------------------


class _Automaton:
    """Aho-Corasick over a set of strings: every occurrence of any of them in one pass over a text.

    Each node is a prefix of some string; `fail` links a node to its longest proper suffix that is also a node, so
    the state after reading any text is the longest end of it that begins one of the strings. Built whole from its
    strings (a new secret rebuilds it: O(size of the secrets)), then read by any thread.
    """

    def __init__(self, strings: Mapping[str, str]) -> None:
        goto: list[dict[str, int]] = [{}]
        depth = [0]
        name = [""]  # the variable of a string the node begins (the first one added)
        ends = [0]  # the length of the longest string that ends at the node (0: none)
        ends_name = [""]
        for text, variable in strings.items():
            node = 0
            for char in text:
                child = goto[node].get(char)
                if child is None:
                    child = len(goto)
                    goto[node][char] = child
                    goto.append({})
                    depth.append(depth[node] + 1)
                    name.append(variable)
                    ends.append(0)
                    ends_name.append("")
                node = child
            if not ends[node]:
                ends[node], ends_name[node] = len(text), variable
        fail = [0] * len(goto)
        queue = deque(goto[0].values())
        while queue:  # breadth first: a node's fail link is set before any deeper node needs it
            node = queue.popleft()
            if not ends[node]:
                ends[node], ends_name[node] = ends[fail[node]], ends_name[fail[node]]
            for char, child in goto[node].items():
                link = fail[node]
                while link and char not in goto[link]:
                    link = fail[link]
                fail[child] = goto[link].get(char, 0)
                queue.append(child)
        self.goto, self.fail, self.depth, self.name = goto, fail, depth, name
        self.ends, self.ends_name = ends, ends_name
        self.longest = max(depth)

    def step(self, state: int, text: str, start: int, stop: int, matches: list[Span] | None) -> int:
        """The state after reading text[start:stop] from `state`; each string found there appended to `matches`."""
        goto, fail, ends = self.goto, self.fail, self.ends
        for index in range(start, stop):
            char = text[index]
            while True:
                following = goto[state].get(char)
                if following is not None:
                    state = following
                    break
                if not state:
                    break
                state = fail[state]
            if ends[state] and matches is not None:
                matches.append((index + 1 - ends[state], index + 1, self.ends_name[state]))
        return state


class Redactor:
    """Secrets, each with the variable it is shown as, replaced in a text in one pass: linear in the text and the
    secrets, whatever their length or number (`_Automaton`).

    Each secret is looked for as written and as JSON, URLs and HTML escape it. A value cut short (ours `…`,
    schemathesis's `...`, the end of a clipped body) may keep only a secret's start just before the cut, or its end
    just after one (or at the start of the text): a piece of `FRAGMENT_MIN` characters or more there is replaced
    too. Every character that any of these covers is replaced; overlapping pieces become one variable.

    Secrets learned one by one (a proxy meets a new token with each client) go into levels that merge as a binary
    counter does: a new secret costs its own size plus, over time, a logarithmic number of rebuilds of what it is
    merged with, and a text is read once per level (at most about log2 of the secrets' total size; one for a run's
    fixed credentials).
    """

    def __init__(self, named: Iterable[tuple[str | None, str]] = ()) -> None:
        self._lock = threading.Lock()
        self._known: set[str] = set()
        self._levels: tuple[_Level, ...] = ()
        pending: dict[str, str] = {}
        for secret, name in named:
            if self._new(secret, name):
                for form in _forms(secret or ""):
                    pending.setdefault(form, name)
        if pending:
            self._levels = (_Level(pending),)

    def _new(self, secret: str | None, name: str) -> bool:
        if not secret or secret == name or secret in self._known:  # a placeholder is its own name: nothing to hide
            return False
        self._known.add(secret)
        return True

    def add(self, secret: str | None, name: str) -> bool:
        """Redact `secret` as `name` from now on; whether it is new."""
        with self._lock:
            if not self._new(secret, name):
                return False
            levels = [*self._levels, _Level(dict.fromkeys(_forms(secret or ""), name))]
            while len(levels) > 1 and levels[-2].size <= 2 * levels[-1].size:
                merged = {**levels[-1].forms, **levels[-2].forms}  # the older variable wins for a shared form
                levels[-2:] = [_Level(merged)]
            self._levels = tuple(levels)
        return True

    def __bool__(self) -> bool:
        return bool(self._levels)

    def __call__(self, text: str) -> str:
        levels = self._levels
        if not levels or not text:
            return text
        cuts = _cuts(text)
        starts = (0, *(cut + len(_marker(text, cut)) for cut in cuts))
        spans: list[Span] = []
        for level in levels:
            state, position = 0, 0
            for cut in (*cuts, len(text)):  # a secret's start just before a cut, or at the very end
                state = level.forward.step(state, text, position, cut, spans)
                position = cut
                if level.forward.depth[state] >= FRAGMENT_MIN:
                    spans.append((cut - level.forward.depth[state], cut, level.forward.name[state]))
            spans += _ends_after_cuts(level.backward, text, starts)
        return _replaced(text, spans) if spans else text


class _Level:
    """Some secrets' forms (form -> variable), and the automata that find them forwards and backwards."""

    def __init__(self, forms: dict[str, str]) -> None:
        self.forms = forms
        self.size = sum(len(form) for form in forms) or 1
        self.forward = _Automaton(forms)
        self.backward = _Automaton({form[::-1]: name for form, name in forms.items()})


Span = tuple[int, int, str]  # start, end (exclusive) and the variable of a piece of a text to replace
_CUT_MARKERS = ("…", "...")


def _forms(secret: str) -> set[str]:
    """A secret as written anywhere, as escaped in JSON, URLs and HTML."""
    return {
        secret,
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        quote(secret, safe="", errors="surrogatepass"),
        quote(secret, errors="surrogatepass"),
        quote_plus(secret, errors="surrogatepass"),
        html.escape(secret),
        html.escape(secret, quote=False),
    }


def _cuts(text: str) -> list[int]:
    """Where each cut marker of the text begins, in order (in `....` both `...` count)."""
    found = []
    for marker in _CUT_MARKERS:
        start = text.find(marker)
        while start >= 0:
            found.append(start)
            start = text.find(marker, start + 1)
    return sorted(set(found))


def _marker(text: str, cut: int) -> str:
    return next(marker for marker in _CUT_MARKERS if text.startswith(marker, cut))


def _ends_after_cuts(backward: _Automaton, text: str, starts: Sequence[int]) -> list[Span]:
    """The longest end of a secret (`FRAGMENT_MIN` or more) that begins at each of `starts`.

    Read backwards over each start's window (as long as the longest secret form; overlapping windows once): the
    backward automaton's state at a start is the longest piece from there that ends a form.
    """
    spans: list[Span] = []
    reach = backward.longest
    windows: list[tuple[int, int, list[int]]] = []
    for start in sorted(set(starts)):
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], min(len(text), start + reach), [*windows[-1][2], start])
        else:
            windows.append((start, min(len(text), start + reach), [start]))
    for low, high, inside in windows:
        state, position = 0, high
        reversed_window = text[low:high][::-1]
        for start in reversed(inside):
            state = backward.step(state, reversed_window, high - position, high - start, None)
            position = start
            if backward.depth[state] >= FRAGMENT_MIN:
                spans.append((start, start + backward.depth[state], backward.name[state]))
    return spans


def _replaced(text: str, spans: list[Span]) -> str:
    """The text with each span (merged where they overlap or touch) replaced by its variable."""
    spans.sort()
    pieces, position = [], 0
    start, end, name = spans[0]
    for next_start, next_end, next_name in spans[1:]:
        if next_start < end:
            end = max(end, next_end)
            continue
        pieces += [text[position:start], name]
        position, start, end, name = end, next_start, next_end, next_name
    pieces += [text[position:start], name, text[end:]]
    return "".join(pieces)
