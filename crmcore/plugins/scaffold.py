"""``crm plugins new NAME``: write a working plugin package from the template in ``scaffold_template/``.

Template files end in ``.tmpl``; in their paths and contents ``__plugin__`` becomes the plugin's name,
``__Title__`` its title and ``__date__`` today's date. Plain token replacement (not Jinja) keeps the plugin's own
Jinja and Mako templates intact.
"""

from __future__ import annotations

import keyword
import re
import shutil
import tempfile
from datetime import date
from importlib.metadata import entry_points
from importlib.util import find_spec
from pathlib import Path

from crmcore.errors import ValidationFailed
from crmcore.plugins.base import ENTRY_POINT_GROUP

TEMPLATE = Path(__file__).resolve().parent / "scaffold_template"
NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,39}")


def check_name(name: str) -> None:
    """Refuse a name that cannot be a plugin, package and table prefix, or that is taken."""
    problem = None
    if not NAME_PATTERN.fullmatch(name) or name.endswith("_") or "__" in name:
        problem = ("Use lower-case letters, digits and single underscores, starting with a letter "
                   "(at most 40 characters), e.g. visit_notes.")
    elif keyword.iskeyword(name) or name == "core":
        problem = f"{name!r} is reserved; choose another name."
    elif name in {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)}:
        problem = f"A plugin named {name!r} is already installed; choose another name."
    elif find_spec(f"crm_{name}") is not None:
        problem = f"A Python package named crm_{name} is already installed; choose another name."
    if problem:
        raise ValidationFailed({"name": [problem]}, message="Cannot create the plugin.")


def render(text: str, name: str, title: str) -> str:
    return text.replace("__plugin__", name).replace("__Title__", title).replace("__date__", date.today().isoformat())


def scaffold(name: str, directory: Path | None = None) -> Path:
    """Create the package ``crm-NAME`` (or ``directory``) and return its path. Nothing is written on error."""
    check_name(name)
    target = Path(directory if directory is not None else f"crm-{name}").resolve()
    if target.exists():
        raise ValidationFailed({"directory": [f"{target} already exists; choose a new directory."]},
                               message="Cannot create the plugin.")
    target.parent.mkdir(parents=True, exist_ok=True)
    title = name.replace("_", " ").capitalize()
    # Build next to the target and move it into place at the end, so a failure leaves no half-written package.
    staging = Path(tempfile.mkdtemp(prefix=f".crm-{name}-", dir=target.parent))
    try:
        for source in sorted(TEMPLATE.rglob("*.tmpl")):
            relative = render(str(source.relative_to(TEMPLATE)), name, title).removesuffix(".tmpl")
            destination = staging / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_text(render(source.read_text(encoding="utf-8"), name, title), encoding="utf-8")
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target
