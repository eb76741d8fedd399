"""Bytes of a text file to text: BOMs (UTF-8, UTF-16, UTF-32), BOM-less UTF-16, then UTF-8.

Windows editors save "Unicode" text as UTF-16, often with a byte-order mark and sometimes without;
such files are full of NUL bytes and would otherwise look like binary data.
"""

from __future__ import annotations

import codecs

# Longest first: the UTF-32-LE mark starts with the UTF-16-LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_SAMPLE = 4096
# In UTF-16 text of any script that uses spaces and ASCII punctuation, one byte of most pairs is 0.
_UTF16_ZERO_SHARE = 0.3


def bom_encoding(data: bytes) -> tuple[str, int] | None:
    """(encoding, length of the mark) when ``data`` starts with a byte-order mark."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding, len(bom)
    return None


def utf16_without_bom(data: bytes) -> str | None:
    """``data`` decoded as UTF-16, when where its NUL bytes fall says it is UTF-16; else None.
    The text, not the encoding: the check decodes it already, a second decode would repeat it."""
    sample = data[: _SAMPLE - _SAMPLE % 2]
    if len(sample) < 2 or len(data) % 2:
        return None
    pairs = len(sample) // 2
    even_zeros = sample[0::2].count(0) / pairs
    odd_zeros = sample[1::2].count(0) / pairs
    if odd_zeros >= _UTF16_ZERO_SHARE and even_zeros < odd_zeros / 4:
        encoding = "utf-16-le"
    elif even_zeros >= _UTF16_ZERO_SHARE and odd_zeros < even_zeros / 4:
        encoding = "utf-16-be"
    else:
        return None
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def decode_unicode(data: bytes) -> str | None:
    """``data`` decoded when a BOM or the NUL pattern of UTF-16 says how; else None."""
    marked = bom_encoding(data)
    if marked is not None:
        encoding, skip = marked
        try:
            return data[skip:].decode(encoding)
        except UnicodeDecodeError:
            return None
    return utf16_without_bom(data)
