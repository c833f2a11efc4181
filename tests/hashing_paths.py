"""The implementations of ``protocols.hmac_batch.hmac_many`` that tests hold equal.

The compiled kernel is optional: where it is not built its cases skip, saying so.
"""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa
import pytest

from protocols import hmac_batch

HmacMany = Callable[[bytes, pa.StringArray, bool], bytes]
NOT_BUILT = pytest.mark.skipif(
    hmac_batch._hmac_kernel is None,
    reason="protocols._hmac_kernel is not built (no C compiler at install); hashlib path only",
)


def _python(key: bytes, values: pa.StringArray, prehash: bool) -> bytes:
    return hmac_batch.hmac_many_python(key, values, prehash)


def _kernel(key: bytes, values: pa.StringArray, prehash: bool) -> bytes:
    return hmac_batch.hmac_many_kernel(key, values, prehash)


def _kernel_portable(key: bytes, values: pa.StringArray, prehash: bool) -> bytes:
    return hmac_batch.hmac_many_kernel(key, values, prehash, accelerated=False)


HMAC_PATHS = [
    pytest.param(_python, id="hashlib"),
    pytest.param(_kernel, id="kernel", marks=NOT_BUILT),
    pytest.param(_kernel_portable, id="kernel-portable-c", marks=NOT_BUILT),
]
#: Values of ``CLEANROOM_PURE_PYTHON_HMAC`` selecting each path of the public API.
ENV_PATHS = [
    pytest.param("1", id="hashlib"),
    pytest.param("", id="kernel", marks=NOT_BUILT),
]
