"""The compiled phone-shape scanner equals the regex path, and both give the reference.

``protocols.phone_batch.nanpa_shapes`` runs ``protocols._phone_kernel`` where it is
built; ``nanpa_shapes_arrow`` runs the shapes' RE2 regexes. Both must give the same kind
and digits for every value (sliced arrays and nulls included), and the batch normalizer
must equal ``protocols.normalize`` on either.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocols import IdType, NormalizeOptions, Reason, Rejected, normalize, phone_batch
from protocols.normalize_batch import normalize_array
from tests.property.test_batch_equals_reference import PHONES

needs_kernel = pytest.mark.skipif(
    not phone_batch.kernel_enabled(), reason="protocols._phone_kernel is not built"
)

PIECES = st.sampled_from(
    ["+", "1", "+1", "(", ")", " ", ".", "-", "\t", "2", "5", "0", "9", "212", "555", "1234",
     "(212)", "x", "ä", "\n", "11", "+1 "]
)  # fmt: skip
SHAPED = st.one_of(
    PHONES,
    st.lists(PIECES, max_size=10).map("".join),
    st.text(alphabet="0123456789+-() .\t", max_size=18),
)


def _both(values: Sequence[str | None], national: bool, cut: int) -> None:
    array = pa.array(["junk", *values], pa.string()).slice(cut)
    kinds, digits = phone_batch.nanpa_shapes(array, national)
    want_kinds, want_digits = phone_batch.nanpa_shapes_arrow(array, national)
    valid = ~np.asarray(array.is_null().to_numpy(zero_copy_only=False))
    assert kinds[valid].tolist() == want_kinds[valid].tolist()
    assert digits[valid].tolist() == want_digits[valid].tolist()


@needs_kernel
@given(st.lists(st.one_of(SHAPED, st.none()), max_size=25), st.booleans(), st.integers(0, 1))
@settings(max_examples=400, deadline=None)
def test_kernel_shapes_equal_the_regexes(
    values: list[str | None], national: bool, cut: int
) -> None:
    _both(values, national, cut)


@needs_kernel
def test_kernel_shapes_of_each_form() -> None:
    forms = ["+1 (212) 555-1234", " +12125551234\t", "1-212-555-1234", "1(212)555.1234",
             "(212) 555-1234", "212.555.1234", "2125551234", "555-1234", "5551234",
             "", "  ", "\t", "112-555-1234", "(112) 555-1234", "+2 212 555 1234",
             "212--555-1234", "(212 555-1234", "212) 555-1234", "+1-555-1234",
             "055-1234", "555-12345", "21255512345", "+1 212 555 1234 ", "1 555-1234",
             "212 555 1234x", "\uff12125551234"]  # fmt: skip
    for national in (True, False):
        _both(forms, national, 1)
    kinds, digits = phone_batch.nanpa_shapes(pa.array(forms[:9]), True)
    assert kinds.tolist() == [2] * 7 + [3] * 2
    assert bytes(digits[0]) == b"2125551234" and bytes(digits[7]) == b"5551234\0\0\0"


@contextmanager
def _regex_path() -> Iterator[None]:
    kernel = getattr(phone_batch, "_phone_kernel")  # noqa: B009 (private to the module)
    setattr(phone_batch, "_phone_kernel", None)  # noqa: B010
    try:
        yield
    finally:
        setattr(phone_batch, "_phone_kernel", kernel)  # noqa: B010


@given(
    st.lists(st.one_of(SHAPED, st.none()), max_size=20),
    st.sampled_from(["US", "CA", "JM", "PR", "GB", None]),
)
@settings(max_examples=150, deadline=None)
def test_regex_path_equals_reference(raws: list[str | None], region: str | None) -> None:
    """The path taken where the kernel is not built (the default test covers the kernel)."""
    options = NormalizeOptions(region=region)
    expected = [normalize(IdType.PHONE, raw, options) for raw in raws]
    with _regex_path():
        column = normalize_array(IdType.PHONE, pa.array(raws, pa.string()), options)
    assert column.values.to_pylist() == [e if isinstance(e, str) else None for e in expected]
    reasons: Counter[Reason] = Counter(e.reason for e in expected if isinstance(e, Rejected))
    assert column.rejected == reasons
