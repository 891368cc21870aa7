"""What `pip install .` ships: every subpackage of sim/ and its data files are declared in setup.cfg."""

from __future__ import annotations

import configparser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def declared() -> configparser.SectionProxy:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    return cfg["options"]


def test_every_subpackage_is_declared():
    on_disk = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "sim").rglob("__init__.py")}
    listed = set(declared()["packages"].split())
    assert on_disk - listed == set(), "add these to setup.cfg [options] packages"
    assert listed - on_disk == {"sim.configs"}  # configs/ is mapped into the package by package_dir


def test_report_templates_are_package_data():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    assert "templates/*" in cfg["options.package_data"]["sim.report"]
    assert list((ROOT / "sim" / "report" / "templates").glob("*.j2"))
