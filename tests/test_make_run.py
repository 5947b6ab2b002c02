"""`make run PORT=… ADDR=…` reaches the development server."""

import subprocess
from pathlib import Path

import pytest
from django.core.management.base import CommandError

from volunteers.management.commands.rally_dev import split_addrport

ROOT = Path(__file__).resolve().parent.parent


def test_make_run_passes_port_and_address_to_the_server():
    dry_run = subprocess.run(
        ["make", "-n", "run", "PORT=8010", "ADDR=0.0.0.0", "STAMP=Makefile"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout

    assert "manage.py rally_dev 0.0.0.0:8010" in dry_run


def test_make_run_defaults_to_port_8000():
    dry_run = subprocess.run(
        ["make", "-n", "run", "STAMP=Makefile"], cwd=ROOT, capture_output=True, text=True,
        check=True,
    ).stdout

    assert "manage.py rally_dev 127.0.0.1:8000" in dry_run


@pytest.mark.parametrize(
    ("given", "expected"),
    [("127.0.0.1:8010", ("127.0.0.1", 8010)), ("8011", ("127.0.0.1", 8011)),
     ("0.0.0.0:80", ("0.0.0.0", 80))],  # noqa: S104
)
def test_split_addrport_reads_address_and_port(given, expected):
    assert split_addrport(given) == expected


@pytest.mark.parametrize("given", ["127.0.0.1:http", "127.0.0.1:0", "127.0.0.1:70000", ""])
def test_split_addrport_refuses_a_bad_port_with_a_message(given):
    with pytest.raises(CommandError, match="PORT must be a number"):
        split_addrport(given)
