"""HTTP plumbing shared by every route: HEAD wherever GET works, conditional requests."""

import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    """Answer HEAD exactly as GET would, without the body (RFC 9110 §9.3.2).

    FastAPI routes list only the methods they declare; this serves HEAD for
    every GET route (and a 405 where GET is not allowed either).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        as_get = {**scope, "method": "GET"}
        try:
            await self.app(as_get, receive, send_headers_only)
        finally:
            if "route" in as_get:  # for the request's log line and metrics
                scope["route"] = as_get["route"]


# An entity-tag in a list (RFC 9110 §8.8.3): optional W/, then a quoted opaque tag.
_LISTED_TAG = re.compile(r'[\s,]*(?:W/)?("[^"]*")[ \t]*(?:,|$)')


def if_none_match(header: str | None, etag: str) -> bool:
    """Whether If-None-Match matches `etag` (RFC 9110 §13.1.2, weak comparison).

    "*" matches any current representation; a list matches when one tag does;
    a malformed header matches nothing (it is ignored, as the RFC allows).

    >>> if_none_match('"a", W/"b"', 'W/"b"'), if_none_match("*", 'W/"b"')
    (True, True)
    >>> if_none_match('x"b"x', 'W/"b"'), if_none_match('"c"', 'W/"b"')
    (False, False)
    """
    if header is None:
        return False
    if header.strip() == "*":
        return True
    opaque = etag.removeprefix("W/")
    position, tags = 0, []
    while position < len(header):
        match = _LISTED_TAG.match(header, position)
        if match is None or match.end() == position:
            return False
        tags.append(match.group(1))
        position = match.end()
    return opaque in tags
