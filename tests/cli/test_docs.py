"""Every command and option has help text, and every command a section in the README."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys

import pytest
from support.cli import ROOT

from consumption.cli import main, parser


def _commands() -> dict[str, argparse.ArgumentParser]:
    for action in parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("the command line has no subcommands")


COMMANDS = sorted(_commands())


def test_the_commands_are_the_documented_ones() -> None:
    assert COMMANDS == [
        "anaplan-config",
        "anaplan-payload",
        "compare",
        "explain",
        "pull",
        "push",
        "report",
        "run",
        "sync",
        "validate",
    ]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_and_option_has_help(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    sub = _commands()[command]
    assert sub.description and len(sub.description) > 20
    for action in sub._actions:
        if not isinstance(action, argparse._HelpAction):
            assert action.help, f"{command} {action.option_strings or action.dest} has no help"
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    assert f"usage: consumption {command}" in capsys.readouterr().out


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_a_readme_section(command: str) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    heading = re.compile(rf"^#{{2,4}} .*`consumption {re.escape(command)}`", re.M)
    assert heading.search(readme), f"README.md has no section for consumption {command}"


def test_the_anaplan_commands_say_how_to_install_their_extra(tmp_path) -> None:
    """Without requests and cryptography, push exits 2 with the install hint."""
    config = tmp_path / "anaplan.toml"
    config.write_text(
        '[anaplan]\nworkspace = "w"\nmodel = "m"\nauth = "basic"\n'
        '[[anaplan.load]]\nimport_id = "112000000001"\n'
    )
    code = (
        "import sys\n"
        "sys.modules['requests'] = None\n"  # what an import of a missing package does
        "from consumption.cli import main\n"
        f"sys.exit(main(['push', {str(tmp_path)!r}, '--config', {str(config)!r}]))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 2, run.stderr
    assert "pip install 'consumption[anaplan]'" in run.stderr
    assert "Traceback" not in run.stderr
