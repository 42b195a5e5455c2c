"""The one reader of the whole listing of an account: every judge of completeness reads a listing through it.

The spec documents no paging (no query parameter on the list, a single page), so the first request is the
plain list, as any client sends it. Only when the server's own answer claims other pages (`result_info`) are
they read, with `?page=N&per_page=M` (M the server's own `per_page`), at most `judge.MAX_PAGES` in all, with the
run's writes held back (`Quiet`), and judged as one (`judge.Listing`).
"""

from __future__ import annotations

from collections.abc import Callable

from pcaps_contract.engine.quiet import Quiet
from pcaps_contract.judge import Listing, checks

# Sends one list request: the plain list (None), or (page, per_page or None); None when nothing can be judged.
Fetch = Callable[[tuple[int, int | None] | None], checks.Exchange | None]


def read_whole_listing(fetch: Fetch, quiet: Quiet) -> Listing | None:
    """The account's listing: one answer, or every page it claims (bounded); None when an answer is missing.

    Once a listing of the run claimed other pages, every later one is read with the quiet held from its first
    request; the first to claim them is read again from its first page with the quiet held (one request more,
    once a run).
    """
    if quiet.paging:
        with quiet.alone() as had:
            return _follow(fetch, had)
    first = fetch(None)
    if first is None:
        return None
    listing = Listing((first,))
    if not listing.paged:
        return listing
    quiet.paging = True
    with quiet.alone() as had:
        return _follow(fetch, had)


def _follow(fetch: Fetch, quiet: bool) -> Listing | None:
    first = fetch(None)
    if first is None:
        return None
    listing = Listing((first,), quiet)
    while (page := listing.next_page()) is not None:
        answer = fetch(page)
        if answer is None:
            return None
        listing = Listing((*listing.pages, answer), quiet)
    return listing
