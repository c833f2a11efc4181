"""Type stub of the optional C extension built from protocols/_ristretto_kernel.c."""

from typing import TypeAlias

#: Anything with the buffer protocol (collections.abc.Buffer from Python 3.12).
Buffer: TypeAlias = bytes | bytearray | memoryview

def set_functions(
    scalarmult: int,
    from_hash: int,
    sha512_init: int,
    sha512_update: int,
    sha512_final: int,
    is_valid_point: int,
) -> None: ...
def check(points: Buffer) -> tuple[int, int]: ...
def blind(secret: Buffer, points: Buffer) -> tuple[bytes, int]: ...
def hash_and_blind(
    prefix: Buffer,
    secret: bytes | None,
    offsets: Buffer,
    data: Buffer,
    wide: bool,
    first: int,
    count: int,
) -> tuple[bytes, int]: ...
