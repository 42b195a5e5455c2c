from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import (
    UNSET,
    Unset,
    contract_field,
)

T = TypeVar("T", bound="ResultInfo")


@_attrs_define
class ResultInfo:
    """Paging information; the list returns a single page.

    Attributes:
        page (float | Unset): Current page within paginated list of results.
        per_page (float | Unset): Number of results per page of results.
        count (float | Unset): Total number of results for the requested service.
        total_count (float | Unset): Total results available without any search parameters.
        total_pages (float | Unset): Total number of pages of results.
    """

    page: float | Unset = UNSET
    per_page: float | Unset = UNSET
    count: float | Unset = UNSET
    total_count: float | Unset = UNSET
    total_pages: float | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        page = self.page

        per_page = self.per_page

        count = self.count

        total_count = self.total_count

        total_pages = self.total_pages

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if page is not UNSET:
            field_dict["page"] = page
        if per_page is not UNSET:
            field_dict["per_page"] = per_page
        if count is not UNSET:
            field_dict["count"] = count
        if total_count is not UNSET:
            field_dict["total_count"] = total_count
        if total_pages is not UNSET:
            field_dict["total_pages"] = total_pages

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        with contract_field("ResultInfo", "page", d, "a value of type float", False):
            page = d.pop("page", UNSET)

        with contract_field("ResultInfo", "per_page", d, "a value of type float", False):
            per_page = d.pop("per_page", UNSET)

        with contract_field("ResultInfo", "count", d, "a value of type float", False):
            count = d.pop("count", UNSET)

        with contract_field("ResultInfo", "total_count", d, "a value of type float", False):
            total_count = d.pop("total_count", UNSET)

        with contract_field("ResultInfo", "total_pages", d, "a value of type float", False):
            total_pages = d.pop("total_pages", UNSET)

        result_info = cls(
            page=page,
            per_page=per_page,
            count=count,
            total_count=total_count,
            total_pages=total_pages,
        )

        result_info.additional_properties = d
        return result_info

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
