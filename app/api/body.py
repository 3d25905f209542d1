"""Request bodies of the ingest endpoints: media types, decoding, validation."""

import codecs
import zlib
from collections.abc import Iterator
from typing import Any

from app.errors import InvalidInput, UnsupportedMediaType
from app.schemas import RevisionCreate
from app.services import payloads
from app.services.content import BodyFormat, NewRevision
from app.services.payloads import to_new_revision, validate

_RAW_FORMATS: dict[str, BodyFormat] = {
    "text/plain": "text",
    "text/html": "html",
    "text/markdown": "markdown",
    "text/x-markdown": "markdown",
}
ACCEPTED = ("application/json", "text/plain", "text/html", "text/markdown")
INFLATE_PIECE = 1024 * 1024


def inflater(content_encoding: str | None) -> "zlib._Decompress | None":
    """What a request's Content-Encoding asks for: a gzip inflater, or None for a body
    sent as is; any other coding is a 415."""
    coding = (content_encoding or "identity").strip().lower()
    if coding == "gzip":
        return zlib.decompressobj(wbits=31)
    if coding != "identity":
        raise UnsupportedMediaType(
            f"Content-Encoding '{coding}' is not accepted; send the body as is or gzip"
        )
    return None


def inflate(
    inflater: "zlib._Decompress", chunk: bytes | None, piece: int = INFLATE_PIECE
) -> Iterator[bytes | None]:
    """The decompressed pieces of one chunk of a gzip body, each at most `piece` bytes
    (a small chunk may inflate to a great deal); None at the end of the body (chunk
    None). A broken or truncated stream raises zlib.error."""
    if chunk is None:
        yield inflater.flush()
        if not inflater.eof:
            raise zlib.error("the gzip stream ends early")
        yield None
        return
    data = chunk
    while data:
        yield inflater.decompress(data, piece)
        data = inflater.unconsumed_tail


def media_type(content_type: str | None) -> tuple[str, str | None]:
    if not content_type:
        return "", None
    media, _, params = content_type.partition(";")
    charset = None
    for param in params.split(";"):
        key, _, value = param.strip().partition("=")
        if key.lower() == "charset":
            charset = value.strip().strip('"')
    return media.strip().lower(), charset


def codec_name(charset: str) -> str | None:
    """The codec a charset names ("UTF8" and "utf_8" → "utf-8"), None when unknown."""
    try:
        return codecs.lookup(charset).name
    except LookupError:
        return None


def _decode(body: bytes, charset: str | None) -> str:
    encoding = charset or "utf-8"
    try:
        text_encoding = codecs.lookup(encoding)._is_text_encoding
    except LookupError:
        text_encoding = False
    if not text_encoding:  # unknown, or a codec such as rot13 or zlib that is not a charset
        raise UnsupportedMediaType(f"charset '{encoding}' is unknown; send UTF-8")
    try:
        return body.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"The body is not valid {encoding} (byte {exc.start}); send UTF-8 text"
        ) from exc


def load_json(body: bytes, charset: str | None = None, *, max_depth: int = 32) -> Any:
    """Parse a JSON body; syntax errors and nesting past `max_depth` are 422 problems.
    A byte order mark opening it is ignored, as RFC 8259 allows."""
    return payloads.load_json(_decode(body, charset).removeprefix("\ufeff"), max_depth=max_depth)


def load_json_body(content_type: str | None, body: bytes, *, max_depth: int) -> Any:
    """A JSON request body (415 unless the Content-Type says JSON)."""
    media, charset = media_type(content_type)
    if media != "application/json" and not media.endswith("+json"):
        raise UnsupportedMediaType(
            f"Content-Type '{media or '(none)'}' is not accepted; send application/json"
        )
    return load_json(body, charset, max_depth=max_depth)


def parse_revision_body(
    content_type: str | None, body: bytes, *, max_json_depth: int
) -> NewRevision:
    media, charset = media_type(content_type)
    if media == "application/json" or media.endswith("+json"):
        data = load_json(body, charset, max_depth=max_json_depth)
        return to_new_revision(validate(RevisionCreate, data))
    if media in _RAW_FORMATS:
        return NewRevision(body_format=_RAW_FORMATS[media], body=_decode(body, charset))
    raise UnsupportedMediaType(
        f"Content-Type '{media or '(none)'}' is not accepted; use one of {', '.join(ACCEPTED)}"
        " (with curl: -H 'Content-Type: text/plain')"
    )
