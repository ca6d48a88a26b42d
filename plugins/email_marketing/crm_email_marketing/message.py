"""Assembly of campaign emails as RFC 5322 / MIME messages.

A message is ``multipart/alternative`` with ``text/plain`` first and
``text/html`` last (clients show the last part they understand), or a single
``text/plain`` part for text-only campaigns. Non-ASCII subjects and display
names are RFC 2047 encoded; bodies are 7bit when they are short-lined ASCII
and quoted-printable otherwise (base64 text bodies are a spam signal).

:meth:`MessageBuilder.build` makes an :class:`~email.message.EmailMessage`
(previews, test sends); :meth:`MessageBuilder.prepare` writes the same
message straight to its SMTP bytes with :mod:`~crm_email_marketing.wire`,
about twenty times faster, for the send path.

Every message carries ``List-Unsubscribe`` with an HTTPS and a ``mailto:``
URI plus ``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058),
which large mailbox providers require from bulk senders. The HTTPS endpoint
must unsubscribe on ``POST`` without further interaction, but must *not*
unsubscribe on ``GET`` (link scanners fetch every URL): a ``GET`` shows a
confirmation page whose button posts.

Flatten messages with their own policy (``message.as_bytes()``, which
:class:`~crm_email_marketing.smtp.SmtpSender` does): the ``List-Unsubscribe``
header is stored pre-folded so that Python's folder cannot turn the long
URLs into RFC 2047 encoded-words, which receivers would not decode.
"""

from __future__ import annotations

import base64
import email.policy
import functools
import hashlib
import hmac
import html as html_lib
import re
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.headerregistry import Address, HeaderRegistry
from email.message import EmailMessage
from email.utils import format_datetime
from html.parser import HTMLParser
from urllib.parse import urlsplit

from . import wire
from .rendering import RenderedEmail
from .smtp import PreparedMessage
from .tokens import DeliveryId, TrackingTokens

__all__ = [
    "InvalidAddressError",
    "LinkPlan",
    "MessageBuilder",
    "MessageSettings",
    "PreparedMessage",
    "TrackingUrls",
    "add_tracking",
    "extract_links",
    "make_address",
    "message_id_for",
    "plan_links",
]



class _HeaderRegistry(HeaderRegistry):
    """The standard registry, remembering the header class it makes for each name.

    The standard one builds a new class on every header it parses, which made up a good part of the time
    needed to build a message.
    """

    @functools.lru_cache(maxsize=256)  # noqa: B019 - one registry lives as long as the module
    def __getitem__(self, name: str) -> type:
        return super().__getitem__(name)


#: Policy of built messages: SMTP line endings, and raw (pre-folded) header
#: values are emitted as they are.
POLICY = email.policy.SMTP.clone(refold_source="none", header_factory=_HeaderRegistry())

_MAX_HEADER_LINE = 998
_FOLD_AT = 78
_TRACKED_TAGS = frozenset({"a", "area"})
_TAG_NAME = re.compile(r"<[^\s/>]+")
_ATTRIBUTE = re.compile(r"""\s*([^\s"'>/=]+)(\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?""")
#: Template tags whose rendered text can go through a filter (``{{ self.block() | upper }}``, ``{{ loop(x) | e }}``).
_TEXT_THROUGH_FILTERS = re.compile(r"{%[-+]?\s*(?:(?:filter|macro|call|set|block)\b|for\b[^%]*\brecursive\b)")
_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_WHITESPACE = re.compile(r"\s+")
_NEWLINE = re.compile("\n")
_DOT_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")


class InvalidAddressError(ValueError):
    """An address cannot be put in a message (sending to it must not be retried)."""


@dataclass(frozen=True, kw_only=True)
class MessageSettings:
    """Sender identity and tracking configuration of an installation.

    ``message_id_namespace`` must differ between installations that share
    ``message_id_domain`` (use something derived from the application secret):
    Message-IDs are derived from delivery ids, and receivers silently drop a
    message whose Message-ID they have already seen.
    """

    from_email: str
    from_name: str = ""
    reply_to_email: str | None = None
    reply_to_name: str = ""
    message_id_domain: str
    message_id_namespace: str = field(repr=False)
    tracking_base_url: str
    unsubscribe_mailbox: str
    track_opens: bool = True
    track_clicks: bool = True


class TrackingUrls:
    """Public URLs of the tracking endpoints under ``base_url``.

    The web side serves ``{base_url}/u/<token>`` (unsubscribe, GET confirms,
    POST unsubscribes), ``{base_url}/o/<token>`` (open pixel, a 1x1 GIF) and
    ``{base_url}/c/<token>`` (click: verify, look up the campaign link by
    index, 302 to it).
    """

    UNSUBSCRIBE = "u"
    OPEN = "o"
    CLICK = "c"

    def __init__(self, base_url: str, tokens: TrackingTokens) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"tracking base URL must be an absolute http(s) URL: {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.tokens = tokens

    def unsubscribe(self, delivery_id: DeliveryId) -> str:
        return f"{self.base_url}/{self.UNSUBSCRIBE}/{self.tokens.unsubscribe_token(delivery_id)}"

    def open_pixel(self, delivery_id: DeliveryId) -> str:
        return f"{self.base_url}/{self.OPEN}/{self.tokens.open_token(delivery_id)}"

    def click(self, delivery_id: DeliveryId, link_index: int) -> str:
        return f"{self.base_url}/{self.CLICK}/{self.tokens.click_token(delivery_id, link_index)}"

    def is_own(self, url: str) -> bool:
        """Whether ``url`` points at our own tracking endpoints."""
        return url == self.base_url or url.startswith(self.base_url + "/")


def message_id_for(delivery_id: DeliveryId, *, domain: str, namespace: str) -> str:
    """The Message-ID of a delivery: the same on every attempt.

    SMTP hand-off is at-least-once: when the connection drops after the
    server received the message but before we saw its reply (or before the
    job recorded the delivery as sent), the delivery is retried. Reusing the
    Message-ID makes such a duplicate recognisable as the same message, so
    receivers and clients de-duplicate it and bounces or replies to either
    copy map to the same delivery.

    The id is an HMAC of the delivery id keyed with ``namespace``, so it does
    not reveal delivery ids (send volume) and two installations sending from
    the same domain cannot collide.
    """
    digest = hmac.new(namespace.encode(), str(delivery_id).encode(), hashlib.sha256).digest()
    local = base64.b32encode(digest[:20]).decode("ascii").lower()
    return f"<{local}@{_ascii_domain(domain)}>"


class _LinkScanner(HTMLParser):
    """Collects ``<a>``/``<area>`` start tags with their position in the source."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[tuple[int, int], str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _TRACKED_TAGS:
            raw = self.get_starttag_text() or ""
            self.tags.append((self.getpos(), raw, dict(attrs).get("href")))


def _scan_links(html: str) -> list[tuple[int, str, str]]:
    """``(offset, raw start tag, href)`` of every http(s) link in ``html``."""
    scanner = _LinkScanner()
    scanner.feed(html)
    scanner.close()
    line_starts = [0]
    line_starts += [match.end() for match in _NEWLINE.finditer(html)] if scanner.tags else []
    found = []
    for (line, column), raw, href in scanner.tags:
        offset = line_starts[line - 1] + column
        if href is None or html[offset : offset + len(raw)] != raw:
            continue
        url = href.strip()
        if urlsplit(url).scheme.lower() in ("http", "https"):
            found.append((offset, raw, url))
    return found


def extract_links(html: str) -> list[str]:
    """Unique http(s) link targets of ``html``, in document order.

    Store this for the campaign's HTML *template* when the campaign is
    launched: a click token's link index is a position in this list. Links
    whose URL is built from merge fields are skipped (they differ per
    recipient, so they stay untracked rather than pointing at a wrong URL).
    """
    links: list[str] = []
    for _, _, url in _scan_links(html):
        if "{{" in url or "{%" in url or url in links:
            continue
        links.append(url)
    return links


def _with_href(tag: str, url: str) -> str:
    """``tag`` (a raw start tag) with its href value replaced by ``url``.

    Attributes are walked one by one, so ``href=`` text inside another
    attribute's quoted value is never mistaken for the attribute.
    """
    match = _TAG_NAME.match(tag)
    position = match.end() if match else 0
    while position < len(tag):
        attribute = _ATTRIBUTE.match(tag, position)
        if attribute is None:
            position += 1
            continue
        if attribute.group(1).lower() == "href" and attribute.group(2):
            return f'{tag[: attribute.start(2)]}="{url}"{tag[attribute.end(2) :]}'
        position = attribute.end()
    return tag


def add_tracking(
    html: str,
    *,
    delivery_id: DeliveryId,
    urls: TrackingUrls,
    campaign_links: Sequence[str] = (),
    track_opens: bool = True,
    track_clicks: bool = True,
) -> str:
    """Rewrite campaign links to click redirects and append the open pixel.

    Only http(s) links found in ``campaign_links`` are rewritten; ``mailto:``
    and other schemes, links to our own endpoints (unsubscribe) and links
    not in the list stay untouched.
    """
    if track_clicks and campaign_links:
        html = _retarget_tracked_links(html, campaign_links, urls,
                                       lambda index: html_lib.escape(urls.click(delivery_id, index)))
    return _with_open_pixel(html, delivery_id, urls) if track_opens else html


def _retarget_tracked_links(html: str, campaign_links: Sequence[str], urls: TrackingUrls,
                            target_of: Callable[[int], str]) -> str:
    """``html`` with the href of each link that click tracking rewrites set to ``target_of(link index)``."""
    index_of = {url: index for index, url in reversed(list(enumerate(campaign_links)))}
    pieces: list[str] = []
    position = 0
    for offset, raw, url in _scan_links(html):
        index = index_of.get(url)
        if index is None or urls.is_own(url):
            continue
        pieces += [html[position:offset], _with_href(raw, target_of(index))]
        position = offset + len(raw)
    pieces.append(html[position:])
    return "".join(pieces)


def _with_open_pixel(html: str, delivery_id: DeliveryId, urls: TrackingUrls) -> str:
    src = html_lib.escape(urls.open_pixel(delivery_id), quote=True)
    pixel = f'<img src="{src}" width="1" height="1" alt="" style="display:block;width:1px;height:1px;border:0" />'
    ends = list(_BODY_END.finditer(html))
    if not ends:
        return html + pixel
    cut = ends[-1].start()
    return html[:cut] + pixel + html[cut:]


@dataclass(frozen=True)
class LinkPlan:
    """Click tracking decided once per campaign, from its HTML *template*.

    ``template`` is the campaign's HTML template with the target of each link that :func:`add_tracking` would
    rewrite replaced by a marker. The recipients' HTML rendered from it carries the markers, and :meth:`track`
    swaps them for click URLs with one substitution instead of parsing every recipient's HTML; :meth:`target`
    turns a marker back into the real URL for the plain-text part. A link that a merge field inserts (a
    plugin's trusted HTML) is not tracked this way.
    """

    template: str
    links: tuple[str, ...]
    marker: re.Pattern[str]

    def target(self, href: str) -> str:
        match = self.marker.fullmatch(href)
        return self.links[int(match[1])] if match else href

    def track(self, html: str, delivery_id: DeliveryId, urls: TrackingUrls) -> str:
        return self.marker.sub(lambda match: html_lib.escape(urls.click(delivery_id, int(match[1]))), html)


def plan_links(html_template: str, campaign_links: Sequence[str], urls: TrackingUrls) -> LinkPlan | None:
    """The :class:`LinkPlan` of a campaign's HTML template, or None when its links must be found in each
    recipient's HTML: a template whose filter, macro, call, block or ``set`` tags or recursive loops could pass a
    marker through a filter that changes it."""
    if _TEXT_THROUGH_FILTERS.search(html_template):
        return None
    nonce = secrets.token_hex(8)
    template = _retarget_tracked_links(html_template, campaign_links, urls, lambda index: f"crm-link-{nonce}-{index}")
    return LinkPlan(template=template, links=tuple(campaign_links), marker=re.compile(rf"crm-link-{nonce}-(\d+)"))


def _clean_display_name(name: str) -> str:
    return _WHITESPACE.sub(" ", _CONTROL.sub(" ", name)).strip()


def _ascii_domain(domain: str) -> str:
    try:
        ascii_domain = domain.strip().rstrip(".").encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise InvalidAddressError(f"invalid domain: {domain!r}") from exc
    if not ascii_domain:
        raise InvalidAddressError("empty domain")
    return ascii_domain.lower()


def make_address(email_address: str, display_name: str = "") -> Address:
    """An :class:`Address` that is safe to put in a header.

    Internationalised domains are converted to IDNA; non-ASCII local parts
    would need SMTPUTF8, which is not assumed, and are refused.
    """
    local, at, domain = email_address.strip().rpartition("@")
    if not at or not local:
        raise InvalidAddressError(f"not an email address: {email_address!r}")
    if not local.isascii() or _CONTROL.search(local) or " " in local:
        raise InvalidAddressError(f"unsupported local part in {email_address!r}")
    try:
        return Address(
            display_name=_clean_display_name(display_name),
            addr_spec=f"{local}@{_ascii_domain(domain)}",
        )
    except (ValueError, IndexError) as exc:
        raise InvalidAddressError(f"not an email address: {email_address!r}") from exc


def _list_unsubscribe(https_url: str, mailto_url: str) -> str:
    """Value of ``List-Unsubscribe``, folded between the two URIs if needed."""
    one_line = f"<{https_url}>, <{mailto_url}>"
    if len("List-Unsubscribe: ") + len(one_line) <= _FOLD_AT:
        return one_line
    first, second = f"List-Unsubscribe: <{https_url}>,", f" <{mailto_url}>"
    if max(len(first), len(second)) > _MAX_HEADER_LINE:
        raise ValueError("unsubscribe URL is too long for a header line")
    return f"<{https_url}>,\r\n <{mailto_url}>"


def _recipient(email_address: str, display_name: str) -> tuple[str, str]:
    """The addr-spec and display name :func:`make_address` gives, without parsing an :class:`Address` when the
    address is a plain dot-atom (nearly always); anything else goes through :func:`make_address`."""
    local, at, domain = email_address.strip().rpartition("@")
    if at and _DOT_ATOM.fullmatch(local):
        ascii_domain = _ascii_domain(domain)
        if _DOT_ATOM.fullmatch(ascii_domain):
            return f"{local}@{ascii_domain}", _clean_display_name(display_name)
    address = make_address(email_address, display_name)
    return address.addr_spec, address.display_name


class MessageBuilder:
    """Builds the email of one delivery from its rendered content.

    Typical use per delivery::

        context = {**merge_fields, **builder.system_fields(delivery.id)}
        content = compiled.render(context)
        message = builder.prepare(delivery_id=delivery.id, to_email=..., to_name=...,
                                  content=content, campaign_links=campaign.links)
    """

    def __init__(self, settings: MessageSettings, tokens: TrackingTokens) -> None:
        self.settings = settings
        self.urls = TrackingUrls(settings.tracking_base_url, tokens)
        self.tokens = tokens
        self._from = make_address(settings.from_email, settings.from_name)
        self._reply_to = (
            make_address(settings.reply_to_email, settings.reply_to_name) if settings.reply_to_email else None
        )
        self._unsubscribe_mailbox = make_address(settings.unsubscribe_mailbox).addr_spec
        self._message_id_domain = _ascii_domain(settings.message_id_domain)
        self._last_unsubscribe: tuple[DeliveryId, str] | None = None
        # The headers every message of this sender shares, folded once by the email package.
        self._from_header = _folded("From", self._from)
        self._reply_to_header = _folded("Reply-To", self._reply_to) if self._reply_to is not None else ""
        self._boundary = wire.boundary()
        self._date: tuple[int, str] = (-1, "")

    def system_fields(self, delivery_id: DeliveryId) -> Mapping[str, str]:
        """Merge fields the builder provides to templates (``unsubscribe_url``)."""
        return {"unsubscribe_url": self._unsubscribe_url(delivery_id)}

    def message_id(self, delivery_id: DeliveryId) -> str:
        return message_id_for(
            delivery_id,
            domain=self._message_id_domain,
            namespace=self.settings.message_id_namespace,
        )

    def _unsubscribe_token(self, delivery_id: DeliveryId) -> str:
        """Signed once per delivery: the template, the header URL and the mailto all carry it."""
        if self._last_unsubscribe is None or self._last_unsubscribe[0] != delivery_id:
            self._last_unsubscribe = (delivery_id, self.tokens.unsubscribe_token(delivery_id))
        return self._last_unsubscribe[1]

    def _unsubscribe_url(self, delivery_id: DeliveryId) -> str:
        return f"{self.urls.base_url}/{TrackingUrls.UNSUBSCRIBE}/{self._unsubscribe_token(delivery_id)}"

    def _date_now(self) -> str:
        """The Date header's value for now, formatted once a second (it has no finer resolution)."""
        second = int(time.time())
        if self._date[0] != second:
            self._date = (second, format_datetime(datetime.fromtimestamp(second, UTC)))
        return self._date[1]

    def _list_unsubscribe(self, delivery_id: DeliveryId) -> str:
        return _list_unsubscribe(
            self._unsubscribe_url(delivery_id),
            f"mailto:{self._unsubscribe_mailbox}?subject={self._unsubscribe_token(delivery_id)}",
        )

    def link_plan(self, html_template: str, campaign_links: Sequence[str]) -> LinkPlan | None:
        """The :class:`LinkPlan` of a campaign template under this sender's tracking settings (see
        :func:`plan_links`); render the plan's template and pass the plan to :meth:`prepare`."""
        return plan_links(html_template, campaign_links if self.settings.track_clicks else (), self.urls)

    def _bodies(
        self, delivery_id: DeliveryId, content: RenderedEmail, campaign_links: Sequence[str],
        link_plan: LinkPlan | None = None,
    ) -> tuple[str, str | None]:
        """The text body (ending in a line break) and the tracked HTML body (None for a text-only email)."""
        text = content.text if content.text.endswith("\n") else content.text + "\n"
        if not content.html.strip():
            return text, None
        if link_plan is not None:
            html = link_plan.track(content.html, delivery_id, self.urls)
            return text, _with_open_pixel(html, delivery_id, self.urls) if self.settings.track_opens else html
        html = add_tracking(
            content.html,
            delivery_id=delivery_id,
            urls=self.urls,
            campaign_links=campaign_links,
            track_opens=self.settings.track_opens,
            track_clicks=self.settings.track_clicks,
        )
        return text, html

    def build(
        self,
        *,
        delivery_id: DeliveryId,
        to_email: str,
        content: RenderedEmail,
        to_name: str = "",
        campaign_links: Sequence[str] = (),
        date: datetime | None = None,
    ) -> EmailMessage:
        """The complete message for ``delivery_id``.

        Raises :class:`InvalidAddressError` when ``to_email`` cannot be
        addressed (a permanent failure of the delivery).
        """
        message = EmailMessage(policy=POLICY)
        message["From"] = self._from
        message["To"] = make_address(to_email, to_name)
        if self._reply_to is not None:
            message["Reply-To"] = self._reply_to
        message["Subject"] = _WHITESPACE.sub(" ", content.subject).strip()
        message["Date"] = date or datetime.now(UTC)
        message["Message-ID"] = self.message_id(delivery_id)
        message.set_raw("List-Unsubscribe", self._list_unsubscribe(delivery_id))
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"

        text, html = self._bodies(delivery_id, content, campaign_links)
        message.set_content(text, subtype="plain", cte=wire.transfer_encoding(text))
        if html is not None:
            message.add_alternative(html, subtype="html", cte=wire.transfer_encoding(html))
            for part in message.iter_parts():
                del part["MIME-Version"]
        return message

    def prepare(
        self,
        *,
        delivery_id: DeliveryId,
        to_email: str,
        content: RenderedEmail,
        to_name: str = "",
        campaign_links: Sequence[str] = (),
        date: datetime | None = None,
        link_plan: LinkPlan | None = None,
    ) -> PreparedMessage:
        """The message :meth:`build` makes, written straight to its SMTP bytes.

        ``content`` rendered from a :class:`LinkPlan`'s template comes with that plan. Raises
        :class:`InvalidAddressError` like :meth:`build`.
        """
        to_addr, to_display_name = _recipient(to_email, to_name)
        message_id = self.message_id(delivery_id)
        try:
            to_header = wire.address_header("To", to_addr, to_display_name)
        except ValueError as exc:
            raise InvalidAddressError(str(exc)) from None
        head = [
            self._from_header,
            to_header,
            self._reply_to_header,
            wire.text_header("Subject", _WHITESPACE.sub(" ", content.subject).strip()),
            f"Date: {format_datetime(date) if date else self._date_now()}\r\n",
            f"Message-ID: {message_id}\r\n",
            f"List-Unsubscribe: {self._list_unsubscribe(delivery_id)}\r\n",
            "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n",
        ]
        text, html = self._bodies(delivery_id, content, campaign_links, link_plan)
        text_cte = wire.transfer_encoding(text)
        text_body = wire.body(text, text_cte)
        if html is None:
            head.append(f'{_TEXT_PLAIN}Content-Transfer-Encoding: {text_cte}\r\nMIME-Version: 1.0\r\n\r\n')
            data = "".join(head).encode() + text_body
        else:
            html_cte = wire.transfer_encoding(html)
            html_body = wire.body(html, html_cte)
            boundary = self._boundary
            while boundary.encode() in text_body or boundary.encode() in html_body:
                boundary = wire.boundary()
            head.append(f'MIME-Version: 1.0\r\nContent-Type: multipart/alternative;\r\n boundary="{boundary}"\r\n'
                        f"\r\n--{boundary}\r\n{_TEXT_PLAIN}Content-Transfer-Encoding: {text_cte}\r\n\r\n")
            data = b"".join((
                "".join(head).encode(), text_body,
                f"\r\n--{boundary}\r\n{_TEXT_HTML}Content-Transfer-Encoding: {html_cte}\r\n\r\n".encode(),
                html_body, f"\r\n--{boundary}--\r\n".encode(),
            ))
        return PreparedMessage(data=data, sender=self._from.addr_spec, recipients=(to_addr,),
                               message_id=message_id)


_TEXT_PLAIN = 'Content-Type: text/plain; charset="utf-8"\r\n'
_TEXT_HTML = 'Content-Type: text/html; charset="utf-8"\r\n'


def _folded(name: str, value: Address) -> str:
    """A header as the email package folds it, with its CRLF."""
    return POLICY.fold(name, POLICY.header_store_parse(name, value)[1])
