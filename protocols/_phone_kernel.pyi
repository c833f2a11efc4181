"""Type stub of the optional C extension built from protocols/_phone_kernel.c."""

from typing import TypeAlias

#: Anything with the buffer protocol (collections.abc.Buffer from Python 3.12).
Buffer: TypeAlias = bytes | bytearray | memoryview

def nanpa_shapes(
    offsets: Buffer, data: Buffer, start: int, count: int, national: bool
) -> tuple[bytes, bytes]: ...
