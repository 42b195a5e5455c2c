"""The seeded cases both sides get, in one order: drawn once from the seed, then sent to each side in turn.

A case names records by role (`r1`: the record the first add creates), never by id: each side carries its own ids
through its own steps. After every write a list shows what each side's account holds, compared too. Drawn from a
`random.Random` of the seed in the documented forms of the API's values (`_data`'s forms): the same seed gives the
same cases, whatever the sides answer.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from typing import Any

from pcaps_contract.openapi import api

_REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2")
_PATHS = ("", "/captures", "/pcaps/2026", "/a/b/c")
_HEX = "0123456789abcdef"
DEFAULT_EXAMPLES = 3
MAX_EXAMPLES = 1000  # the plan is drawn whole before anything is sent: bounded, as every value from outside


@dataclass(frozen=True)
class Delivered:
    """A validate body's `ownership_challenge`: the challenge each side delivered for the record of `role`."""

    role: str


@dataclass(frozen=True)
class Case:
    """One request of the sequence.

    `target` is the role whose id ends the path (a delete), or a literal id (`literal`); `body` the JSON value sent
    (`raw`: bytes sent as they are); `creates` the role an add's record plays; `holds`: a list showing what the
    account holds after the write before it.
    """

    number: int
    operation: str
    label: str
    body: Any = None
    raw: bytes | None = None
    target: str | None = None
    literal: str | None = None
    creates: str | None = None
    holds: bool = False
    verb: str | None = None  # a method the operation's path does not declare (the answer names what it allows)
    account: str | None = None  # an account id in the path other than the side's own (one no account can have)
    foreign: bool = False  # in the side's second account, whose records are not the first's (tenancy)

    @property
    def method(self) -> str:
        return self.verb or {api.LIST: "GET", api.DELETE: "DELETE"}.get(self.operation, "POST")

    @property
    def writes(self) -> bool:
        return self.method != "GET"

    @property
    def needs_challenges(self) -> bool:
        return isinstance(self.body, dict) and isinstance(self.body.get("ownership_challenge"), Delivered)


def destination_conf(rng: random.Random) -> str:
    """An `s3://BUCKET[/PATH]?region=R` or `gs://BUCKET[/PATH]` URI, as the reference page shows them."""
    bucket = "pcaps-cmp-" + "".join(
        rng.choice(string.ascii_lowercase + string.digits) for _ in range(rng.randint(3, 12))
    )
    path = rng.choice(_PATHS)
    if rng.random() < 0.6:
        return f"s3://{bucket}{path}?region={rng.choice(_REGIONS)}"
    return f"gs://{bucket}{path}"


def hex32(rng: random.Random) -> str:
    return "".join(rng.choice(_HEX) for _ in range(32))


def plan(seed: int, examples: int = DEFAULT_EXAMPLES) -> list[Case]:
    """The cases of one seed: `examples` adds, the lifecycle through them, bad inputs, and a list after each write."""
    rng = random.Random(seed)
    confs = {f"r{index + 1}": destination_conf(rng) for index in range(max(2, examples))}
    roles = list(confs)
    made_up = hex32(rng)
    never_created = hex32(rng)
    steps: list[tuple[str, str, dict[str, Any]]] = [(api.LIST, "list before the run's adds", {})]
    steps += [
        (api.ADD, f"add {role}", {"body": {"destination_conf": conf}, "creates": role}) for role, conf in confs.items()
    ]
    first, second = roles[0], roles[1]
    steps += [
        (api.LIST, "list after the adds", {}),
        (
            api.VALIDATE,
            f"validate {first} with a made-up challenge",
            {"body": {"destination_conf": confs[first], "ownership_challenge": made_up}},
        ),
        (
            api.VALIDATE,
            f"validate {second} with the delivered challenge",
            {"body": {"destination_conf": confs[second], "ownership_challenge": Delivered(second)}},
        ),
        (api.LIST, "list the second account after the adds", {"foreign": True}),
        (
            api.VALIDATE,
            f"validate {second}'s bucket in the second account",
            {"body": {"destination_conf": confs[second], "ownership_challenge": made_up}, "foreign": True},
        ),
        (api.DELETE, f"delete {first} in the second account", {"target": first, "foreign": True}),
        (api.DELETE, f"delete {first}", {"target": first}),
        (api.DELETE, f"delete {first} again", {"target": first}),
        (api.ADD, "add without destination_conf", {"body": {}}),
        (api.ADD, "add a body that is not JSON", {"raw": b"destination_conf=s3://x"}),
        (api.ADD, "add a destination_conf that is not a string", {"body": {"destination_conf": rng.randint(1, 999)}}),
        (api.VALIDATE, "validate without ownership_challenge", {"body": {"destination_conf": confs[second]}}),
        (api.DELETE, "delete an id never created", {"literal": never_created}),
        (api.ADD, "add an empty destination_conf", {"body": {"destination_conf": ""}}),
        (api.ADD, "add a destination_conf of another scheme", {"body": {"destination_conf": "ftp://pcaps-cmp-x"}}),
        (api.ADD, "add a body that is a JSON array", {"body": [confs[first]]}),
        (
            api.VALIDATE,
            "validate an ownership_challenge that is not a string",
            {"body": {"destination_conf": confs[second], "ownership_challenge": 7}},
        ),
        (
            api.VALIDATE,
            "validate a bucket never added",
            {"body": {"destination_conf": destination_conf(rng), "ownership_challenge": made_up}},
        ),
        (api.DELETE, "delete an id longer than 32 characters", {"literal": never_created + "0"}),
        (api.LIST, "list an account id longer than 32 characters", {"account": hex32(rng) + "0"}),
        (api.LIST, "list with a method the path does not declare", {"verb": "PUT"}),
        *((api.DELETE, f"delete {role}", {"target": role}) for role in roles[1:]),
    ]
    cases: list[Case] = []
    for operation, label, extra in steps:
        cases.append(Case(len(cases) + 1, operation, label, **extra))
        if operation != api.LIST:
            cases.append(Case(len(cases) + 1, api.LIST, f"what the account holds after: {label}", holds=True))
    return cases
