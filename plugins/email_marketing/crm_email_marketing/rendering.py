"""Rendering of user-written email templates.

Campaign templates are written by CRM users, not developers, so they are
treated as untrusted code:

* They run in Jinja's immutable sandbox: no access to private or internal
  attributes (``''.__class__.__mro__`` raises :class:`TemplateSecurityError`)
  and no mutation of the merge-field dicts, which may be shared between the
  recipients of a batch.
* Undefined merge fields are errors rather than silently empty text, so that
  "Dear ," never reaches a customer. Templates that want a fallback say so:
  ``{{ contact.first_name | default("customer") }}`` or ``{% if x is defined %}``.
* Resource limits (:class:`RenderLimits`) bound the output size, the number of
  loop iterations and the wall-clock time of one render, and refuse the
  obvious amplifiers (``'x' * 10**9``, ``9 ** 9 ** 9``, padding and format
  widths, ``replace`` blow-ups). These checks are cooperative: they run at
  every loop iteration, call, intercepted operator and output chunk, which
  catches runaway templates in practice, but a single slow builtin operation
  cannot be interrupted. Renders in workers should still run under the job
  timeout.

Compile a template once per campaign with :meth:`TemplateRenderer.compile`
(this also validates the syntax, which is what a template editor should call
on save) and render it per recipient with :meth:`CompiledEmail.render`.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from types import TracebackType
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

__all__ = [
    "CompiledEmail",
    "EmailTemplate",
    "RenderLimits",
    "RenderedEmail",
    "TemplateLimitError",
    "TemplateRenderError",
    "TemplateRenderer",
    "TemplateSecurityError",
    "TemplateSyntaxError",
    "UndefinedFieldError",
    "html_to_text",
]

#: Template parts, in the order they are compiled and rendered.
PARTS = ("subject", "html", "text")

_GUARD_NAME = "__render_guard__"
_FORMAT_NUMBER = re.compile(r"\d+")
_PRINTF_SPEC = re.compile(r"%(?:\([^)]*\))?[#0 +\-]*(\*|\d+)?(?:\.(\*|\d+))?")
_BRACE_SPEC = re.compile(r"\{[^{}]*\}")
_PADDING_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})
_WHITESPACE = re.compile(r"\s+")


class TemplateRenderError(Exception):
    """A template could not be compiled or rendered.

    ``part`` is ``"subject"``, ``"html"`` or ``"text"``; ``lineno`` is the
    1-based line inside that part when it is known. ``str(error)`` is meant to
    be shown to the user who wrote the template.
    """

    def __init__(self, part: str, message: str, lineno: int | None = None) -> None:
        self.part = part
        self.message = message
        self.lineno = lineno
        where = f"{part} template" + (f", line {lineno}" if lineno else "")
        super().__init__(f"{where}: {message}")


class TemplateSyntaxError(TemplateRenderError):
    """The template source is not valid Jinja."""


class UndefinedFieldError(TemplateRenderError):
    """The template uses a merge field that the context does not provide."""


class TemplateSecurityError(TemplateRenderError):
    """The template tried to reach something outside the sandbox."""


class TemplateLimitError(TemplateRenderError):
    """The template exceeded a size, iteration or time limit."""


@dataclass(frozen=True)
class RenderLimits:
    """Per-render resource limits. Sizes are in characters."""

    max_source_chars: int = 500_000
    max_output_chars: int = 2_000_000
    max_subject_chars: int = 998
    max_loop_iterations: int = 100_000
    timeout_seconds: float = 2.0


@dataclass(frozen=True)
class EmailTemplate:
    """The user-written sources of one email.

    ``html`` or ``text`` may be empty (not both): an empty ``text`` is derived
    from the rendered HTML, an empty ``html`` makes a plain-text email.
    """

    subject: str
    html: str = ""
    text: str = ""


@dataclass(frozen=True)
class RenderedEmail:
    """The rendered parts of one email, before tracking is added."""

    subject: str
    html: str
    text: str


class _LimitError(Exception):
    pass


class _RenderGuard:
    """Shared budget of one render: loop iterations and a deadline."""

    def __init__(self, limits: RenderLimits) -> None:
        self._limits = limits
        self._iterations_left = limits.max_loop_iterations
        self._deadline = time.monotonic() + limits.timeout_seconds

    def check_time(self) -> None:
        if time.monotonic() > self._deadline:
            raise _LimitError(f"rendering took longer than {self._limits.timeout_seconds:g} seconds")

    def __call__(self, iterable: Iterable[Any]) -> Iterator[Any]:
        for item in iterable:
            self._iterations_left -= 1
            if self._iterations_left < 0:
                raise _LimitError(f"loops ran more than {self._limits.max_loop_iterations} iterations")
            self.check_time()
            yield item


def _guard_of(context: Context) -> _RenderGuard | None:
    guard = context.get(_GUARD_NAME)
    return guard if isinstance(guard, _RenderGuard) else None


def _check_size(size: int, limit: int) -> None:
    if size > limit:
        raise _LimitError(f"an intermediate value would exceed {limit} characters")


def _check_format_string(fmt: str, args: Iterable[Any], limit: int) -> None:
    """Refuse printf/str.format widths and precisions beyond the output limit."""
    specs = [m.group(0) for m in _PRINTF_SPEC.finditer(fmt)]
    specs += _BRACE_SPEC.findall(fmt)
    for spec in specs:
        for number in _FORMAT_NUMBER.findall(spec):
            _check_size(int(number), limit)
    if any("*" in spec for spec in specs):
        for arg in args:
            if isinstance(arg, int):
                _check_size(arg, limit)


def _check_replace(text: Any, old: Any, new: Any, count: Any, limit: int) -> None:
    if not (isinstance(text, str) and isinstance(old, str) and isinstance(new, str)):
        return
    occurrences = len(text) + 1 if old == "" else text.count(old)
    if isinstance(count, int) and count >= 0:
        occurrences = min(occurrences, count)
    _check_size(len(text) + occurrences * max(len(new) - len(old), 0), limit)


def _guarded_filters(filters: dict[str, Callable[..., Any]], limit: int) -> None:
    """Wrap the built-in filters that can multiply the size of their input."""

    def wrap(name: str, check: Callable[..., None]) -> None:
        original = filters[name]

        @functools.wraps(original)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            check(*args, **kwargs)
            return original(*args, **kwargs)

        filters[name] = guarded

    def sized(position: int, default: int) -> Callable[..., None]:
        def check(*args: Any, **kwargs: Any) -> None:
            value = args[position] if len(args) > position else default
            if isinstance(value, int):
                _check_size(value, limit)

        return check

    def indent_check(text: Any, width: Any = 4, *args: Any, **kwargs: Any) -> None:
        width = kwargs.get("width", width)
        pad = width if isinstance(width, int) else len(str(width))
        _check_size(len(str(text)) + pad * (str(text).count("\n") + 1), limit)

    def format_check(value: Any, *args: Any, **kwargs: Any) -> None:
        _check_format_string(str(value), args, limit)

    def replace_check(eval_ctx: Any, text: Any, old: Any, new: Any, count: Any = None) -> None:
        _check_replace(str(text), old, new, count, limit)

    wrap("center", sized(1, 80))
    wrap("batch", sized(1, 0))
    wrap("slice", sized(1, 0))
    wrap("indent", indent_check)
    wrap("format", format_check)
    wrap("replace", replace_check)


class _EmailSandbox(ImmutableSandboxedEnvironment):
    """Immutable sandbox that also enforces :class:`RenderLimits`."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def __init__(self, *, autoescape: bool, limits: RenderLimits) -> None:
        super().__init__(
            autoescape=autoescape,
            undefined=jinja2.StrictUndefined,
            finalize=_finalize,
        )
        self.limits = limits
        self.globals.pop("lipsum", None)
        _guarded_filters(self.filters, limits.max_output_chars)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        guard = _guard_of(context)
        if guard is not None:
            guard.check_time()
        limit = self.limits.max_output_chars
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(times, int):
                    _check_size(len(seq) * times, limit)
        elif operator == "**":
            if isinstance(left, int) and isinstance(right, int) and abs(left) > 1 and right > 0:
                _check_size(abs(right) * abs(left).bit_length() // 3, limit)
        elif operator == "%" and isinstance(left, str):
            values = right if isinstance(right, tuple) else (right,)
            _check_format_string(left, values, limit)
        return super().call_binop(context, operator, left, right)

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        guard = _guard_of(context)
        if guard is not None:
            guard.check_time()
        owner = getattr(obj, "__self__", None)
        if isinstance(owner, str):
            name = getattr(obj, "__name__", "")
            limit = self.limits.max_output_chars
            if name in _PADDING_METHODS:
                for arg in (*args, *kwargs.values()):
                    if isinstance(arg, int):
                        _check_size(arg * (owner.count("\n") + 1), limit)
            elif name == "replace" and len(args) >= 2:
                _check_replace(owner, args[0], args[1], args[2] if len(args) > 2 else -1, limit)
        return super().call(context, obj, *args, **kwargs)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        owner = getattr(value, "__self__", None)
        if isinstance(owner, str) and getattr(value, "__name__", "") in ("format", "format_map"):
            _check_format_string(owner, (), self.limits.max_output_chars)
        return super().wrap_str_format(value)


def _finalize(value: Any) -> Any:
    """Render ``None`` (an empty CRM field) as nothing instead of "None"."""
    return "" if value is None else value


def _template_lineno(tb: TracebackType | None, filename: str) -> int | None:
    lineno = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            lineno = tb.tb_lineno
        tb = tb.tb_next
    return lineno


def _normalise_subject(subject: str) -> str:
    """Collapse whitespace: a subject is a single header line."""
    return _WHITESPACE.sub(" ", subject).strip()


class _CompiledPart:
    def __init__(self, env: _EmailSandbox, part: str, source: str) -> None:
        self.part = part
        self.filename = f"<{part}>"
        if len(source) > env.limits.max_source_chars:
            raise TemplateLimitError(part, f"the template is longer than {env.limits.max_source_chars} characters")
        if _GUARD_NAME in source:
            lineno = source[: source.index(_GUARD_NAME)].count("\n") + 1
            raise TemplateSecurityError(part, f"the name {_GUARD_NAME} is reserved", lineno)
        try:
            ast = env.parse(source, name=part, filename=self.filename)
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateSyntaxError(part, exc.message or str(exc), exc.lineno) from None
        for loop in list(ast.find_all(nodes.For)):
            lineno = loop.iter.lineno
            loop.iter = nodes.Call(
                nodes.Name(_GUARD_NAME, "load", lineno=lineno),
                [loop.iter],
                [],
                None,
                None,
                lineno=lineno,
            )
        ast.set_environment(env)
        code = env.compile(ast, name=part, filename=self.filename)
        self.template = env.template_class.from_code(env, code, env.make_globals(None))
        self.max_output = env.limits.max_output_chars

    def render(self, context: Mapping[str, Any], guard: _RenderGuard) -> str:
        chunks: list[str] = []
        size = 0
        try:
            for chunk in self.template.generate({**context, _GUARD_NAME: guard}):
                size += len(chunk)
                if size > self.max_output:
                    raise _LimitError(f"the output is longer than {self.max_output} characters")
                guard.check_time()
                chunks.append(chunk)
        except Exception as exc:
            raise self._translate(exc) from None
        return "".join(chunks)

    def _translate(self, exc: Exception) -> TemplateRenderError:
        lineno = _template_lineno(exc.__traceback__, self.filename)
        if isinstance(exc, jinja2.exceptions.SecurityError):
            return TemplateSecurityError(self.part, str(exc), lineno)
        if isinstance(exc, jinja2.UndefinedError):
            return UndefinedFieldError(self.part, str(exc), lineno)
        if isinstance(exc, _LimitError):
            return TemplateLimitError(self.part, str(exc), lineno)
        if isinstance(exc, RecursionError):
            return TemplateLimitError(self.part, "macros recurse too deeply", lineno)
        return TemplateRenderError(self.part, f"{type(exc).__name__}: {exc}", lineno)


class CompiledEmail:
    """A validated, compiled :class:`EmailTemplate`; render it per recipient."""

    def __init__(
        self,
        template: EmailTemplate,
        *,
        html_env: _EmailSandbox,
        text_env: _EmailSandbox,
        link_target: Callable[[str], str] | None = None,
    ) -> None:
        if not template.html.strip() and not template.text.strip():
            raise TemplateRenderError("html", "the email needs an HTML or a text body")
        self.limits = html_env.limits
        self._link_target = link_target
        self._subject = _CompiledPart(text_env, "subject", template.subject)
        self._html = _CompiledPart(html_env, "html", template.html) if template.html.strip() else None
        self._text = _CompiledPart(text_env, "text", template.text) if template.text.strip() else None

    def render(self, context: Mapping[str, Any]) -> RenderedEmail:
        """Render all parts with ``context`` (the recipient's merge fields).

        Raises a :class:`TemplateRenderError` subclass naming the part and line.
        """
        guard = _RenderGuard(self.limits)
        subject = _normalise_subject(self._subject.render(context, guard))
        if not subject:
            raise TemplateRenderError("subject", "the subject is empty")
        if len(subject) > self.limits.max_subject_chars:
            raise TemplateLimitError(
                "subject", f"the subject is longer than {self.limits.max_subject_chars} characters"
            )
        html = self._html.render(context, guard) if self._html else ""
        text = self._text.render(context, guard) if self._text else html_to_text(html, self._link_target)
        return RenderedEmail(subject=subject, html=html, text=text)


class TemplateRenderer:
    """Compiles :class:`EmailTemplate` objects; holds the sandboxed environments.

    HTML is autoescaped (merge-field values cannot inject markup; a plugin
    that contributes trusted HTML passes a :class:`markupsafe.Markup`), the
    subject and text parts are not.
    """

    def __init__(self, limits: RenderLimits | None = None) -> None:
        self.limits = limits or RenderLimits()
        self._html_env = _EmailSandbox(autoescape=True, limits=self.limits)
        self._text_env = _EmailSandbox(autoescape=False, limits=self.limits)

    def compile(self, template: EmailTemplate, link_target: Callable[[str], str] | None = None) -> CompiledEmail:
        """Validate and compile ``template``; raises :class:`TemplateSyntaxError`.

        ``link_target`` maps the HTML's link targets to the URLs the derived text part shows.
        """
        return CompiledEmail(template, html_env=self._html_env, text_env=self._text_env, link_target=link_target)

    def render(self, template: EmailTemplate, context: Mapping[str, Any]) -> RenderedEmail:
        """Compile and render in one go (previews, one-off sends)."""
        return self.compile(template).render(context)


class _TextExtractor(HTMLParser):
    _SKIP = frozenset({"head", "title", "style", "script", "template"})
    _HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
    _BLOCK = _HEADINGS | {"address", "article", "aside", "blockquote", "dd", "div"}
    _BLOCK |= {"dl", "dt", "footer", "header", "hr", "ol", "p", "pre", "section"}
    _BLOCK |= {"table", "tr", "ul"}

    def __init__(self, link_target: Callable[[str], str] | None = None) -> None:
        super().__init__(convert_charrefs=True)
        self._link_target = link_target
        self.out: list[str] = []
        self._skip_depth = 0
        self._links: list[tuple[str | None, int]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skip_depth += 1
        elif tag == "br":
            self.out.append("\n")
        elif tag == "li":
            self.out.append("\n- ")
        elif tag in ("td", "th"):
            self.out.append(" ")
        elif tag in self._BLOCK:
            self.out.append("\n\n")
        elif tag == "a":
            self._links.append((dict(attrs).get("href"), len(self.out)))

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skip_depth = max(self._skip_depth - 1, 0)
        elif tag in self._BLOCK:
            self.out.append("\n\n")
        elif tag == "a" and self._links:
            href, start = self._links.pop()
            label = "".join(self.out[start:]).strip()
            href = (href or "").strip()
            href = self._link_target(href) if self._link_target else href
            if href.lower().startswith(("http://", "https://")) and href != label:
                self.out.append(f" ({href})" if label else href)

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            self.out.append(_WHITESPACE.sub(" ", data))


def html_to_text(html: str, link_target: Callable[[str], str] | None = None) -> str:
    """A readable plain-text rendering of ``html`` for the text/plain part.

    Spam filters penalise HTML-only mail and text parts unrelated to the HTML,
    so a campaign without a text template gets this instead. Links keep their
    real URLs (the text part is not click-tracked): ``link_target`` maps an href to the URL to show.
    """
    parser = _TextExtractor(link_target)
    parser.feed(html)
    parser.close()
    lines = [line.strip() for line in "".join(parser.out).split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
