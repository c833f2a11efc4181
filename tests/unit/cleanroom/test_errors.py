"""The server's exception tree: stable, unique problem types and plain messages."""

from __future__ import annotations

import inspect

import cleanroom.errors as errors
from cleanroom.errors import CleanRoomError


def all_errors() -> list[type[CleanRoomError]]:
    return [
        obj
        for _, obj in inspect.getmembers(errors, inspect.isclass)
        if issubclass(obj, CleanRoomError)
    ]


def test_every_error_is_drawn_in_the_module_docstring() -> None:
    doc = errors.__doc__ or ""
    for error in all_errors():
        assert error.__name__ in doc, error.__name__


def test_problem_types_are_unique_except_for_aliases() -> None:
    slugs = {}
    for error in all_errors():
        slugs.setdefault(error.slug, []).append(error.__name__)
    shared = {slug: names for slug, names in slugs.items() if len(names) > 1}
    assert shared == {
        "internal-error": ["CleanRoomError", "InternalError"],
        "unauthenticated": ["AuthError", "Unauthenticated"],
    }


def test_error_carries_type_uri_and_extra_members() -> None:
    error = errors.UploadOffsetMismatch("offset 5 does not match", received=0)
    assert error.type_uri == "urn:cleanroom:problem:upload-offset-mismatch"
    assert (error.status, error.extra) == (409, {"received": 0})
