"""Cursors for keyset pagination: the last item's sort key, in a form any client can
pass back unchanged and the server can check by its shape alone.

A number cursor is the revision number after which the next page starts; a time
cursor is "<microseconds since 1970>-<row id>". Every string of the documented
shape is a valid position (the digit counts keep numbers inside their columns
and the time before year 2287), so a cursor is either valid or refused by pattern.
"""

import re
from datetime import UTC, datetime, timedelta

from app.errors import InvalidInput

# Revision numbers are 32-bit: nine digits stay below 2^31.
NUMBER_CURSOR_PATTERN = r"^[0-9]{1,9}$"
TIME_CURSOR_PATTERN = r"^[0-9]{1,16}-[0-9]{1,18}$"
# Row ids are 64-bit: eighteen digits stay below 2^63.
ID_CURSOR_PATTERN = r"^[0-9]{1,18}$"
_NUMBER = re.compile(NUMBER_CURSOR_PATTERN)
_TIME = re.compile(TIME_CURSOR_PATTERN)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_NOT_OURS = "cursor: not a cursor this API issued; pass next_cursor unchanged"


def encode_number_cursor(number: int) -> str:
    return str(number)


def decode_number_cursor(cursor: str | None) -> int:
    """The number after which the next page starts (0 for the first page).

    >>> decode_number_cursor(encode_number_cursor(7)), decode_number_cursor(None)
    (7, 0)
    """
    if cursor is None:
        return 0
    if not _NUMBER.match(cursor):
        raise InvalidInput(_NOT_OURS)
    return int(cursor)


def encode_time_cursor(at: datetime, row_id: int) -> str:
    return f"{(at - _EPOCH) // _MICROSECOND}-{row_id}"


def decode_time_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    """(time, id) after which the next page starts; None for the first page.

    >>> at = datetime(2026, 5, 1, 12, 0, 0, 250, tzinfo=UTC)
    >>> decode_time_cursor(encode_time_cursor(at, 42)) == (at, 42)
    True
    """
    if cursor is None:
        return None
    if not _TIME.match(cursor):
        raise InvalidInput(_NOT_OURS)
    micros, row_id = cursor.split("-")
    return _EPOCH + int(micros) * _MICROSECOND, int(row_id)
