"""Rendering user-written templates with merge fields, safely."""

from __future__ import annotations

import time

import pytest
from crm_email_marketing import (
    EmailTemplate,
    RenderLimits,
    TemplateLimitError,
    TemplateRenderer,
    TemplateRenderError,
    TemplateSecurityError,
    TemplateSyntaxError,
    UndefinedFieldError,
)

CONTEXT = {
    "customer": {"company": "Acme & Sons", "phone": None},
    "contact": {"first_name": "Zahra", "last_name": "Ahmadi"},
    "loyalty": {"balance": 1250},
}


def render(renderer: TemplateRenderer, *, subject="Hi", html="<p>x</p>", text="x", context=None):
    template = EmailTemplate(subject=subject, html=html, text=text)
    return renderer.render(template, CONTEXT if context is None else context)


def test_merge_fields_from_customer_contact_and_plugins_fill_every_part(renderer):
    result = render(
        renderer,
        subject="{{ contact.first_name }}, you have {{ loyalty.balance }} points",
        html="<p>Dear {{ contact.first_name }} {{ contact.last_name }}</p>",
        text="Dear {{ contact.first_name }} of {{ customer.company }}",
    )

    assert result.subject == "Zahra, you have 1250 points"
    assert result.html == "<p>Dear Zahra Ahmadi</p>"
    assert result.text == "Dear Zahra of Acme & Sons"


def test_html_part_escapes_merge_field_values(renderer):
    result = render(
        renderer,
        html="<p>{{ name }}</p>",
        context={"name": '<script>alert("x")</script>'},
    )

    assert result.html == "<p>&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;</p>"


def test_subject_and_text_parts_are_not_escaped(renderer):
    result = render(renderer, subject="{{ customer.company }}", text="{{ customer.company }}")

    assert result.subject == "Acme & Sons"
    assert result.text == "Acme & Sons"


def test_an_empty_field_renders_as_nothing_rather_than_none(renderer):
    result = render(renderer, text="Phone: [{{ customer.phone }}]")

    assert result.text == "Phone: []"


def test_a_fallback_can_be_given_for_a_field_that_may_be_missing(renderer):
    result = render(renderer, text='Hello {{ contact.nickname | default("friend") }}')

    assert result.text == "Hello friend"


def test_an_undefined_field_is_an_error_naming_the_part_and_line(renderer):
    with pytest.raises(UndefinedFieldError) as error:
        render(renderer, html="<p>Hello</p>\n<p>{{ contact.first_name }}</p>\n{{ coupon }}")

    assert (error.value.part, error.value.lineno) == ("html", 3)
    assert str(error.value) == "html template, line 3: 'coupon' is undefined"


def test_an_undefined_attribute_is_an_error_naming_the_part_and_line(renderer):
    with pytest.raises(UndefinedFieldError) as error:
        render(renderer, subject="{{ contact.middle_name }}")

    assert (error.value.part, error.value.lineno) == ("subject", 1)
    assert "middle_name" in str(error.value)


def test_a_syntax_error_is_reported_when_compiling_with_part_and_line(renderer):
    template = EmailTemplate(subject="Hi", html="<p>\n{{ loyalty.balance + }}\n</p>", text="x")

    with pytest.raises(TemplateSyntaxError) as error:
        renderer.compile(template)

    assert (error.value.part, error.value.lineno) == ("html", 2)
    assert str(error.value).startswith("html template, line 2: ")


def test_an_unclosed_block_is_reported_at_the_line_that_opens_it(renderer):
    template = EmailTemplate(subject="Hi", text="Hi\n{% if contact %}\nthere")

    with pytest.raises(TemplateSyntaxError, match="endif") as error:
        renderer.compile(template)

    assert (error.value.part, error.value.lineno) == ("text", 2)


@pytest.mark.parametrize(
    "expression",
    [
        "''.__class__.__mro__",
        "''.__class__.__mro__[1].__subclasses__()",
        "contact.__class__",
        "cycler.__init__.__globals__",
        "namespace.__init__.__globals__['os']",
    ],
)
def test_the_sandbox_blocks_access_to_python_internals(renderer, expression):
    with pytest.raises(TemplateSecurityError) as error:
        render(renderer, html="<p>ok</p>\n{{ " + expression + " }}")

    assert (error.value.part, error.value.lineno) == ("html", 2)


def test_a_template_cannot_modify_the_merge_fields(renderer):
    context = {"contact": {"first_name": "Zahra"}}

    with pytest.raises(TemplateSecurityError):
        render(renderer, text="{{ contact.update({'first_name': 'Mallory'}) }}", context=context)
    assert context == {"contact": {"first_name": "Zahra"}}


def test_loops_keep_their_normal_behaviour():
    renderer = TemplateRenderer()
    text = (
        "{% for p in products if p.price %}{{ loop.index }}/{{ loop.length }} {{ p.name }};{% else %}none{% endfor %}"
    )
    context = {"products": [{"name": "Tea", "price": 2}, {"name": "Free", "price": 0}]}

    assert render(renderer, text=text, context=context).text == "1/1 Tea;"
    assert render(renderer, text=text, context={"products": []}).text == "none"


def test_output_longer_than_the_limit_is_refused():
    renderer = TemplateRenderer(RenderLimits(max_output_chars=10_000))

    with pytest.raises(TemplateLimitError) as error:
        render(renderer, html="{% for i in range(5000) %}<p>spam</p>{% endfor %}")

    assert error.value.part == "html"


def test_runaway_nested_loops_are_stopped_by_the_iteration_budget(renderer):
    nested = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"

    with pytest.raises(TemplateLimitError, match="iterations"):
        render(renderer, text=nested)


def test_rendering_is_stopped_after_the_time_limit():
    renderer = TemplateRenderer(RenderLimits(timeout_seconds=0.2))
    exponential = "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(60) }}"

    started = time.monotonic()
    with pytest.raises(TemplateLimitError, match="longer than"):
        render(renderer, text=exponential)
    assert time.monotonic() - started < 1.0


@pytest.mark.parametrize(
    "expression",
    [
        "'x' * 1000000000",
        "[0] * 1000000000",
        "2 ** 1000000000",
        "'%1000000000d' % 1",
        "'{:>1000000000}'.format(1)",
        "'x'.ljust(1000000000)",
        "'x' | center(1000000000)",
        "[1] | batch(1000000000, 0) | list",
        "('x' * 100000).replace('', 'yyyyyyyyyyyyyyyyyyyyyyyyy')",
    ],
)
def test_expressions_that_would_blow_up_memory_are_refused(renderer, expression):
    with pytest.raises(TemplateLimitError):
        render(renderer, text="{{ " + expression + " }}")


def test_a_template_cannot_replace_the_loop_guard(renderer):
    template = EmailTemplate(subject="Hi", text="{% set __render_guard__ = namespace %}")

    with pytest.raises(TemplateSecurityError, match="reserved"):
        renderer.compile(template)


def test_a_subject_is_collapsed_onto_one_line(renderer):
    result = render(renderer, subject="  Big\r\nsale\n{% if true %}\n today{% endif %} ")

    assert result.subject == "Big sale today"


def test_a_subject_that_renders_empty_is_an_error(renderer):
    with pytest.raises(TemplateRenderError, match="subject template: the subject is empty"):
        render(renderer, subject="{{ customer.phone }}")


def test_without_a_text_template_the_text_part_is_derived_from_the_html(renderer):
    html = (
        "<html><head><style>p {color: red}</style></head><body>"
        "<h1>Sale</h1><p>Hi {{ contact.first_name }},<br>see "
        '<a href="https://shop.example/sale?a=1&amp;b=2">our offers</a>.</p>'
        "<ul><li>Tea</li><li>Cake</li></ul></body></html>"
    )

    result = render(renderer, html=html, text="")

    assert result.text == ("Sale\n\nHi Zahra,\nsee our offers (https://shop.example/sale?a=1&b=2).\n\n- Tea\n- Cake\n")


def test_an_email_needs_an_html_or_a_text_body(renderer):
    with pytest.raises(TemplateRenderError, match="needs an HTML or a text body"):
        renderer.compile(EmailTemplate(subject="Hi", html=" ", text=""))
