"""Type stub of the optional C extension built from protocols/_hmac_kernel.c."""

from typing import TypeAlias

#: Anything with the buffer protocol (collections.abc.Buffer from Python 3.12).
Buffer: TypeAlias = bytes | bytearray | memoryview

SHA256_IMPLEMENTATION: str

def hmac_many(
    key: Buffer,
    offsets: Buffer,
    data: Buffer,
    start: int,
    count: int,
    wide_offsets: bool,
    prehash: bool,
    accelerated: bool = True,
) -> bytes: ...
