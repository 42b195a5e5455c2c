from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import (
    check_const,
    contract_field,
    contract_item,
)

if TYPE_CHECKING:
    from ..models.response_info import ResponseInfo


T = TypeVar("T", bound="FailureResponse")


@_attrs_define
class FailureResponse:
    """The failure envelope; at least one error says what went wrong.

    Attributes:
        errors (list[ResponseInfo]):
        messages (list[ResponseInfo]):
        result (None):
        success (bool): Whether the API call was successful.
    """

    errors: list[ResponseInfo]
    messages: list[ResponseInfo]
    result: None
    success: bool
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

        result = self.result

        success = self.success

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

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.response_info import ResponseInfo  # noqa: PLC0415

        d = dict(src_dict)
        with contract_field("FailureResponse", "errors", d, "a value of type list[ResponseInfo]", True):
            errors = []
            _errors = d.pop("errors")
            for errors_item_data_index, errors_item_data in enumerate(_errors):
                with contract_item(errors_item_data_index):
                    errors_item = ResponseInfo.from_dict(errors_item_data)

                errors.append(errors_item)

        with contract_field("FailureResponse", "messages", d, "a value of type list[ResponseInfo]", True):
            messages = []
            _messages = d.pop("messages")
            for messages_item_data_index, messages_item_data in enumerate(_messages):
                with contract_item(messages_item_data_index):
                    messages_item = ResponseInfo.from_dict(messages_item_data)

                messages.append(messages_item)

        with contract_field("FailureResponse", "result", d, "a value of type None", True):
            result = d.pop("result")
            check_const(result, None)

        with contract_field("FailureResponse", "success", d, "a value of type bool", True):
            success = d.pop("success")
            check_const(success, False)

        failure_response = cls(
            errors=errors,
            messages=messages,
            result=result,
            success=success,
        )

        failure_response.additional_properties = d
        return failure_response

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
