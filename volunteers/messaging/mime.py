"""An email's SMTP envelope and bytes as Django's SMTP backend sends them, the bytes written
in one pass: the same as ``email.message().as_bytes(linesep="\\r\\n")`` apart from the Date
and the random MIME boundaries, at a fraction of the cost.

Django builds a tree of ``email`` package objects for each message, then folds every header
of every part through ``email.header.Header`` and compiles a regular expression to check each
boundary; for a batch of reminders that was a quarter of a worker's time. Here each part's
headers are Django's own, written once per kind of part and kept; a top-level header is
written as it is when folding cannot change it (short printable ASCII), else folded exactly
as Django and the ``email`` package fold it. A message of any other shape (another charset,
a line too long for 8bit, a MIME object attached, a subclass) takes Django's path.
tests/notifications/test_mime.py compares both paths byte for byte.
"""

import base64
import functools
import random
import re
import sys
from email import policy as email_policy
from email.utils import formatdate, make_msgid

from django.conf import settings
from django.core.mail.message import (
    RFC5322_EMAIL_LINE_LENGTH_LIMIT,
    EmailMessage,
    EmailMultiAlternatives,
    forbid_multi_line_headers,
    sanitize_address,
)
from django.core.mail.utils import DNS_NAME

CRLF = b"\r\n"
_FOLD = email_policy.compat32.clone(linesep="\r\n")
_NEWLINES = re.compile(r"\r\n|\r|\n")
# An address Django's ``sanitize_address`` returns unchanged: a dot-atom local part and an
# ASCII domain of labels of letters, digits and hyphens (what its IDNA step lets through).
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_PLAIN_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})*")
_BOUNDARY_DIGITS = len(repr(sys.maxsize - 1))  # as email.generator makes them


def envelope(email) -> tuple[str, list[str]]:
    """The SMTP envelope's sender and recipients, as Django's SMTP backend gives them
    (``EmailBackend._send``)."""
    encoding = email.encoding or settings.DEFAULT_CHARSET
    return (_sender(email.from_email, encoding),
            [_recipient(address, encoding) for address in email.recipients()])


# The same sender for every message: parsed once.
_sender = functools.lru_cache(maxsize=16)(sanitize_address)


def _recipient(address, encoding: str) -> str:
    """``sanitize_address``, which parses the address with the email package's header
    parser; a plain one (dot-atom, ASCII domain) comes out as it went in."""
    if isinstance(address, str) and _PLAIN_ADDRESS.fullmatch(address):
        return address
    return sanitize_address(address, encoding)


def message_bytes(email) -> bytes:
    """``email.message().as_bytes(linesep="\\r\\n")``, written directly when the message has
    the shapes Rally sends: a text body, text alternatives, attachments given as content."""
    if not _writable(email):
        return email.message().as_bytes(linesep="\r\n")
    encoding = email.encoding or settings.DEFAULT_CHARSET
    body = _text_part(email.body, f"text/{email.content_subtype}", encoding)
    alternatives = getattr(email, "alternatives", None)
    if alternatives:
        parts = [body] if email.body else []
        parts += [_text_part(content, mimetype, encoding) for content, mimetype in alternatives]
        body = _multipart(email.alternative_subtype, parts)
    if email.attachments:
        parts = [body] if email.body or alternatives else []
        parts += [_attachment(filename, content, mimetype, encoding)
                  for filename, content, mimetype in email.attachments]
        body = _multipart(email.mixed_subtype, parts)
    head, payload = body
    return head + _top_headers(email, encoding) + CRLF + payload


def _writable(email) -> bool:
    if type(email) not in (EmailMessage, EmailMultiAlternatives):
        return False
    if (email.encoding or settings.DEFAULT_CHARSET) != "utf-8" or not isinstance(email.body, str):
        return False
    texts = [email.body]
    for content, mimetype in getattr(email, "alternatives", ()):
        if not (isinstance(content, str) and mimetype.startswith("text/")):
            return False
        texts.append(content)
    for attachment in email.attachments:
        if not isinstance(attachment, tuple):  # a MIMEBase object
            return False
        _filename, content, mimetype = attachment
        if mimetype.startswith("text/") and isinstance(content, str):
            texts.append(content)
        elif mimetype.startswith(("text/", "message/")) or not isinstance(content, bytes) or (
                not content):
            return False
    # A longer line makes Django switch that part to quoted-printable.
    return all(_short_lines(text) for text in texts)


def _short_lines(text: str) -> bool:
    if len(text) <= RFC5322_EMAIL_LINE_LENGTH_LIMIT // 4:
        return True
    return all(len(line.encode(errors="surrogateescape")) <= RFC5322_EMAIL_LINE_LENGTH_LIMIT
               for line in text.splitlines())


def _text_part(content: str, mimetype: str, encoding: str,
               filename: str | None = None) -> tuple[bytes, bytes]:
    payload = _NEWLINES.sub("\r\n", content).encode(encoding)
    return _part_headers(mimetype, encoding, filename, payload.isascii()), payload


def _attachment(filename, content, mimetype, encoding: str) -> tuple[bytes, bytes]:
    if mimetype.startswith("text/"):
        return _text_part(content, mimetype, encoding, filename)
    # email.encoders.encode_base64: lines of 76 characters.
    payload = base64.encodebytes(content).replace(b"\n", CRLF)
    return _part_headers(mimetype, encoding, filename, True), payload


@functools.lru_cache(maxsize=64)
def _part_headers(mimetype: str, encoding: str, filename: str | None, ascii_only: bool) -> bytes:
    """A part's headers as Django writes them (its Content-Type, MIME-Version,
    Content-Transfer-Encoding, Content-Disposition), taken from a part Django builds with
    content of the same kind: 7bit or 8bit text, or base64."""
    maker = EmailMessage()
    maker.encoding = encoding
    sample = ("x" if ascii_only else "\xe9") if mimetype.startswith("text/") else b"x"
    if filename:
        part = maker._create_attachment(filename, sample, mimetype)
    else:
        part = maker._create_mime_attachment(sample, mimetype)
    return b"".join(_FOLD.fold_binary(name, value) for name, value in part.raw_items())


def _multipart(subtype: str, parts: list[tuple[bytes, bytes]]) -> tuple[bytes, bytes]:
    """A multipart's own headers (Content-Type with its boundary, MIME-Version) and its body,
    as email.generator writes them."""
    texts = [head + CRLF + payload for head, payload in parts]
    boundary = _boundary(texts)
    head = (_FOLD.fold_binary("Content-Type", f'multipart/{subtype}; boundary="{boundary}"')
            + b"MIME-Version: 1.0\r\n")
    delimiter = b"--" + boundary.encode()
    payload = (delimiter + CRLF + (CRLF + delimiter + CRLF).join(texts)
               + CRLF + delimiter + b"--" + CRLF)
    return head, payload


def _boundary(texts: list[bytes]) -> str:
    while True:
        boundary = "=" * 15 + f"{random.randrange(sys.maxsize):0{_BOUNDARY_DIGITS}d}" + "=="
        if not any(boundary.encode() in text for text in texts):
            return boundary


def _top_headers(email, encoding: str) -> bytes:
    """Subject, From, To, Cc, Reply-To, Date, Message-ID and the extra headers, in the order
    and form of ``EmailMessage.message()``."""
    extra = email.extra_headers
    headers = [("Subject", email.subject), ("From", extra.get("From", email.from_email))]
    for name, values in (("To", email.to), ("Cc", email.cc), ("Reply-To", email.reply_to)):
        if name in extra:
            headers.append((name, extra[name]))
        elif values:
            headers.append((name, ", ".join(str(value) for value in values)))
    names = {name.lower() for name in extra}
    if "date" not in names:
        headers.append(("Date", formatdate(localtime=settings.EMAIL_USE_LOCALTIME)))
    if "message-id" not in names:
        headers.append(("Message-ID", make_msgid(domain=DNS_NAME)))
    headers += [(name, value) for name, value in extra.items()
                if name.lower() not in {"from", "to", "cc", "reply-to"}]
    return b"".join(_header(name, value, encoding) for name, value in headers)


def _header(name: str, value, encoding: str) -> bytes:
    """One header line as ``SafeMIMEText.__setitem__`` stores it and compat32 folds it. A
    value of printable ASCII that fits on the line, without spaces at its ends, comes out as
    it went in, so it is written as it is."""
    value = str(value)
    if (len(name) + 2 + len(value) <= 78 and value.isascii() and value.isprintable()
            and value == value.strip()):
        return f"{name}: {value}\r\n".encode()
    name, value = forbid_multi_line_headers(name, value, encoding)
    return _FOLD.fold_binary(name, value)
