"""The whole listing of an account as its pages showed it: the one union every judge of completeness reads.

The spec documents no paging, so a list is one answer. Where a server's own `result_info` claims more pages
anyway, a bounded number of them are read (`engine.listing`, or the traffic `verify` and `proxy` judge), and
completeness is judged on their union, never excused by the claim (`_checks.listing_is_complete`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from functools import cached_property

from pcaps_contract.judge import checks

# Pages of one listing read at most (the first included): a list costs at most this many requests.
MAX_PAGES = 5


@dataclass(frozen=True)
class Listing:
    """One account's listing: its pages in order (one for a server that does not page).

    `quiet`: nothing of the run was written to the target while the pages were read, so their union is one
    view of the account (always true of a single answer).
    """

    pages: tuple[checks.Exchange, ...]
    quiet: bool = True

    @property
    def first(self) -> checks.Exchange:
        return self.pages[0]

    @property
    def later(self) -> tuple[checks.Exchange, ...]:
        return self.pages[1:]

    @property
    def paged(self) -> bool:
        """Whether its first answer claims other pages."""
        return checks.claimed_pages(self.first) > 1

    @property
    def judgeable(self) -> bool:
        """Whether its pages may be judged together: read with nothing written in between."""
        return self.quiet or (len(self.pages) == 1 and not self.paged)

    @property
    def whole(self) -> bool:
        """Whether the union is everything the account listed: every claimed page read, each answering 200."""
        claimed = checks.claimed_pages(self.first)
        return self.judgeable and len(self.pages) >= claimed and all(page.status == 200 for page in self.pages)

    @cached_property
    def union(self) -> checks.Exchange:
        """The first answer with `result` holding the records of every page, in order (itself when one page)."""
        envelope = self.first.envelope
        if len(self.pages) == 1 or envelope is None:
            return self.first
        records = [record for page in self.pages for record in page.ownerships()]
        return replace(self.first, content=json.dumps({**envelope, "result": records}).encode())

    def next_page(self) -> tuple[int, int | None] | None:
        """The page to read next and the `per_page` to ask it with (the first answer's own), or None when done.

        Done when every page the first answer claims was read, `MAX_PAGES` were, or the last one read
        answered other than 200 or with no record no earlier page showed (`pages_deliver_what_they_claim`
        names that).
        """
        number = len(self.pages) + 1
        *earlier, last = self.pages
        if number > min(checks.claimed_pages(self.first), MAX_PAGES) or last.status != 200:
            return None
        if earlier and not last.result_ids() - set().union(*(page.result_ids() for page in earlier)):
            return None
        per_page = checks.listing_info(self.first).get("per_page")
        if isinstance(per_page, int | float) and not isinstance(per_page, bool) and 1 <= per_page <= 10**6:
            return number, int(per_page) if per_page == int(per_page) else None
        return number, None
