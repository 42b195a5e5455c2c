from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import (
    contract_field,
)

T = TypeVar("T", bound="OwnershipRequest")


@_attrs_define
class OwnershipRequest:
    """
    Attributes:
        destination_conf (str): The full URI for the bucket. This field only applies to full packet captures. `s3://`,
            `gs://` or `r2://`, a bucket name, then optionally a path, query or fragment (e.g. `?region=us-east-1`).
            Example: s3://pcaps-bucket?region=us-east-1.
    """

    destination_conf: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        destination_conf = self.destination_conf

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "destination_conf": destination_conf,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        with contract_field("OwnershipRequest", "destination_conf", d, "a value of type str", True):
            destination_conf = d.pop("destination_conf")

        ownership_request = cls(
            destination_conf=destination_conf,
        )

        ownership_request.additional_properties = d
        return ownership_request

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
