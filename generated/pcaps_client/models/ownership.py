from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.ownership_status import OwnershipStatus
from ..types import (
    UNSET,
    Unset,
    check_length,
    check_string_branches,
    contract_field,
    parse_enum,
    parse_rfc3339,
)

T = TypeVar("T", bound="Ownership")


@_attrs_define
class Ownership:
    """
    Attributes:
        id (str): The bucket ID associated with the packet captures API. Example: 9883874ecac311ec8475433579a6bf5f.
        destination_conf (str): The full URI for the bucket. This field only applies to full packet captures. Example:
            s3://pcaps-bucket?region=us-east-1.
        filename (str): The ownership challenge filename stored in the bucket. Example: ownership-
            challenge-9883874ecac311ec8475433579a6bf5f.txt.
        status (OwnershipStatus): The status of the ownership challenge. Can be pending, success or failed.
        submitted (datetime.datetime): An RFC 3339 timestamp. Example: 2020-01-01T08:00:00Z.
        validated (datetime.datetime | str | Unset): The RFC 3339 timestamp when the bucket was validated. A bucket not
            yet validated may carry an empty string here (documented behaviour of the real API).
    """

    id: str
    destination_conf: str
    filename: str
    status: OwnershipStatus
    submitted: datetime.datetime
    validated: datetime.datetime | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        destination_conf = self.destination_conf

        filename = self.filename

        status = self.status.value

        submitted = self.submitted.isoformat()

        validated: str | Unset
        if isinstance(self.validated, Unset):
            validated = UNSET
        elif isinstance(self.validated, datetime.datetime):
            validated = self.validated.isoformat()
        else:
            validated = self.validated

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "destination_conf": destination_conf,
                "filename": filename,
                "status": status,
                "submitted": submitted,
            }
        )
        if validated is not UNSET:
            field_dict["validated"] = validated

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        with contract_field("Ownership", "id", d, "a value of type str", True):
            id = d.pop("id")
            check_length(id, 32, 32)

        with contract_field("Ownership", "destination_conf", d, "a value of type str", True):
            destination_conf = d.pop("destination_conf")

        with contract_field("Ownership", "filename", d, "a value of type str", True):
            filename = d.pop("filename")

        with contract_field("Ownership", "status", d, "a value of type OwnershipStatus", True):
            status = parse_enum(OwnershipStatus, d.pop("status"))

        with contract_field("Ownership", "submitted", d, "a value of type datetime.datetime", True):
            submitted = parse_rfc3339(d.pop("submitted"))

        with contract_field("Ownership", "validated", d, "a value of type datetime.datetime | str", False):

            def _parse_validated(data: object) -> datetime.datetime | str | Unset:
                if isinstance(data, Unset):
                    return data
                try:
                    if not isinstance(data, str):
                        raise TypeError()
                    validated_type_0 = parse_rfc3339(data)

                    return validated_type_0
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                if not (isinstance(data, str)):
                    raise TypeError()
                return cast(datetime.datetime | str | Unset, data)

            validated = _parse_validated(d.pop("validated", UNSET))

            check_string_branches(validated, ((None, 0),), ["Timestamp"])

        ownership = cls(
            id=id,
            destination_conf=destination_conf,
            filename=filename,
            status=status,
            submitted=submitted,
            validated=validated,
        )

        ownership.additional_properties = d
        return ownership

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
