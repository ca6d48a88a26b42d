"""Every hook is documented in docs/hooks.md and has a test of its own (a test named test_hook_<name>...)."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from crmcore.hooks import PROJECT, SPEC_MODULES

ROOT = Path(__file__).resolve().parents[1]


def hook_names() -> list[str]:
    names = []
    for module_name in SPEC_MODULES:
        module = importlib.import_module(module_name)
        names += [name for name, value in vars(module).items() if hasattr(value, f"{PROJECT}_spec")]
    return sorted(names)


def test_there_are_hooks_to_check():
    assert {"customer_created", "deal_won", "segments", "admin_views"} <= set(hook_names())


@pytest.mark.parametrize("name", hook_names())
def test_hook_is_in_the_reference(name):
    reference = (ROOT / "docs" / "hooks.md").read_text(encoding="utf-8")

    assert re.search(rf"^### `{name}\(", reference, re.MULTILINE), f"docs/hooks.md has no entry for {name}"


@pytest.mark.parametrize("name", hook_names())
def test_hook_has_a_test(name):
    sources = "\n".join(path.read_text(encoding="utf-8") for path in (ROOT / "tests").rglob("test_*.py"))

    assert re.search(rf"^def test_hook_{name}(_\w*)?\(", sources, re.MULTILINE), f"no test_hook_{name}... test"


@pytest.mark.parametrize("name", hook_names())
def test_hook_spec_says_when_it_is_called(name):
    for module_name in SPEC_MODULES:
        spec = getattr(importlib.import_module(module_name), name, None)
        if spec is not None:
            assert spec.__doc__ and len(spec.__doc__.strip()) > 20
            assert all(parameter in spec.__annotations__ for parameter in spec.__code__.co_varnames[
                :spec.__code__.co_argcount])
