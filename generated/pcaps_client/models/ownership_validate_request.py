from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import (
    contract_field,
)

T = TypeVar("T", bound="OwnershipValidateRequest")


@_attrs_define
class OwnershipValidateRequest:
    """
    Attributes:
        destination_conf (str): The full URI for the bucket. This field only applies to full packet captures. `s3://`,
            `gs://` or `r2://`, a bucket name, then optionally a path, query or fragment (e.g. `?region=us-east-1`).
            Example: s3://pcaps-bucket?region=us-east-1.
        ownership_challenge (str): The ownership challenge filename stored in the bucket. Example: ownership-
            challenge-9883874ecac311ec8475433579a6bf5f.txt.
    """

    destination_conf: str
    ownership_challenge: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        destination_conf = self.destination_conf

        ownership_challenge = self.ownership_challenge

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "destination_conf": destination_conf,
                "ownership_challenge": ownership_challenge,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        with contract_field("OwnershipValidateRequest", "destination_conf", d, "a value of type str", True):
            destination_conf = d.pop("destination_conf")

        with contract_field("OwnershipValidateRequest", "ownership_challenge", d, "a value of type str", True):
            ownership_challenge = d.pop("ownership_challenge")

        ownership_validate_request = cls(
            destination_conf=destination_conf,
            ownership_challenge=ownership_challenge,
        )

        ownership_validate_request.additional_properties = d
        return ownership_validate_request

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
