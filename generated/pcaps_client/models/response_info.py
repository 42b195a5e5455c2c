from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import (
    UNSET,
    Unset,
    contract_field,
)

if TYPE_CHECKING:
    from ..models.response_info_source import ResponseInfoSource


T = TypeVar("T", bound="ResponseInfo")


@_attrs_define
class ResponseInfo:
    """
    Attributes:
        code (int):
        message (str):
        documentation_url (str | Unset):
        source (ResponseInfoSource | Unset):
    """

    code: int
    message: str
    documentation_url: str | Unset = UNSET
    source: ResponseInfoSource | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        code = self.code

        message = self.message

        documentation_url = self.documentation_url

        source: dict[str, Any] | Unset = UNSET
        if not isinstance(self.source, Unset):
            source = self.source.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "code": code,
                "message": message,
            }
        )
        if documentation_url is not UNSET:
            field_dict["documentation_url"] = documentation_url
        if source is not UNSET:
            field_dict["source"] = source

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.response_info_source import ResponseInfoSource  # noqa: PLC0415

        d = dict(src_dict)
        with contract_field("ResponseInfo", "code", d, "a value of type int", True):
            code = d.pop("code")

        with contract_field("ResponseInfo", "message", d, "a value of type str", True):
            message = d.pop("message")

        with contract_field("ResponseInfo", "documentation_url", d, "a value of type str", False):
            documentation_url = d.pop("documentation_url", UNSET)

        with contract_field("ResponseInfo", "source", d, "a value of type ResponseInfoSource", False):
            _source = d.pop("source", UNSET)
            source: ResponseInfoSource | Unset
            if isinstance(_source, Unset):
                source = UNSET
            else:
                source = ResponseInfoSource.from_dict(_source)

        response_info = cls(
            code=code,
            message=message,
            documentation_url=documentation_url,
            source=source,
        )

        response_info.additional_properties = d
        return response_info

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
