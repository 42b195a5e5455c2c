from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import (
    UNSET,
    Unset,
    check_const,
    contract_field,
    contract_item,
)

if TYPE_CHECKING:
    from ..models.ownership import Ownership
    from ..models.response_info import ResponseInfo
    from ..models.result_info import ResultInfo


T = TypeVar("T", bound="OwnershipCollectionResponse")


@_attrs_define
class OwnershipCollectionResponse:
    """The success envelope around the account's list of Ownership records.

    Attributes:
        errors (list[ResponseInfo]):
        messages (list[ResponseInfo]):
        result (list[Ownership] | None):
        success (bool): Whether the API call was successful.
        result_info (ResultInfo | Unset): Paging information; the list returns a single page.
    """

    errors: list[ResponseInfo]
    messages: list[ResponseInfo]
    result: list[Ownership] | None
    success: bool
    result_info: ResultInfo | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        errors = []
        for errors_item_data in self.errors:
            errors_item = errors_item_data.to_dict()
            errors.append(errors_item)

        messages = []
        for messages_item_data in self.messages:
            messages_item = messages_item_data.to_dict()
            messages.append(messages_item)

        result: list[dict[str, Any]] | None
        if isinstance(self.result, list):
            result = []
            for result_type_0_item_data in self.result:
                result_type_0_item = result_type_0_item_data.to_dict()
                result.append(result_type_0_item)

        else:
            result = self.result

        success = self.success

        result_info: dict[str, Any] | Unset = UNSET
        if not isinstance(self.result_info, Unset):
            result_info = self.result_info.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "errors": errors,
                "messages": messages,
                "result": result,
                "success": success,
            }
        )
        if result_info is not UNSET:
            field_dict["result_info"] = result_info

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.ownership import Ownership  # noqa: PLC0415
        from ..models.response_info import ResponseInfo  # noqa: PLC0415
        from ..models.result_info import ResultInfo  # noqa: PLC0415

        d = dict(src_dict)
        with contract_field("OwnershipCollectionResponse", "errors", d, "a value of type list[ResponseInfo]", True):
            errors = []
            _errors = d.pop("errors")
            for errors_item_data_index, errors_item_data in enumerate(_errors):
                with contract_item(errors_item_data_index):
                    errors_item = ResponseInfo.from_dict(errors_item_data)

                errors.append(errors_item)

        with contract_field("OwnershipCollectionResponse", "messages", d, "a value of type list[ResponseInfo]", True):
            messages = []
            _messages = d.pop("messages")
            for messages_item_data_index, messages_item_data in enumerate(_messages):
                with contract_item(messages_item_data_index):
                    messages_item = ResponseInfo.from_dict(messages_item_data)

                messages.append(messages_item)

        with contract_field("OwnershipCollectionResponse", "result", d, "a value of type list[Ownership] | None", True):

            def _parse_result(data: object) -> list[Ownership] | None:
                if data is None:
                    return data
                try:
                    if not isinstance(data, list):
                        raise TypeError()
                    result_type_0 = []
                    _result_type_0 = data
                    for result_type_0_item_data_index, result_type_0_item_data in enumerate(_result_type_0):
                        with contract_item(result_type_0_item_data_index):
                            result_type_0_item = Ownership.from_dict(result_type_0_item_data)

                        result_type_0.append(result_type_0_item)

                    return result_type_0
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                if not (data is None):
                    raise TypeError()
                return cast(list[Ownership] | None, data)

            result = _parse_result(d.pop("result"))

        with contract_field("OwnershipCollectionResponse", "success", d, "a value of type bool", True):
            success = d.pop("success")
            check_const(success, True)

        with contract_field("OwnershipCollectionResponse", "result_info", d, "a value of type ResultInfo", False):
            _result_info = d.pop("result_info", UNSET)
            result_info: ResultInfo | Unset
            if isinstance(_result_info, Unset):
                result_info = UNSET
            else:
                result_info = ResultInfo.from_dict(_result_info)

        ownership_collection_response = cls(
            errors=errors,
            messages=messages,
            result=result,
            success=success,
            result_info=result_info,
        )

        ownership_collection_response.additional_properties = d
        return ownership_collection_response

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
