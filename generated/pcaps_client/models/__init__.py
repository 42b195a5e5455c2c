"""Contains all the data models used in inputs/outputs"""

from .failure_response import FailureResponse
from .ownership import Ownership
from .ownership_collection_response import OwnershipCollectionResponse
from .ownership_request import OwnershipRequest
from .ownership_single_response import OwnershipSingleResponse
from .ownership_status import OwnershipStatus
from .ownership_validate_request import OwnershipValidateRequest
from .response_info import ResponseInfo
from .response_info_source import ResponseInfoSource
from .result_info import ResultInfo

__all__ = (
    "FailureResponse",
    "Ownership",
    "OwnershipCollectionResponse",
    "OwnershipRequest",
    "OwnershipSingleResponse",
    "OwnershipStatus",
    "OwnershipValidateRequest",
    "ResponseInfo",
    "ResponseInfoSource",
    "ResultInfo",
)
