"""The README is the CLI's reference: it must name every subcommand and every setting the code
reads, and every subcommand must explain itself with --help (in-process, no model needed)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot import cli

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")


def help_of(capsys, *argv: str) -> str:
    with pytest.raises(SystemExit) as done:
        cli.main([*argv, "--help"])
    assert done.value.code == 0
    return capsys.readouterr().out


def test_the_top_level_help_lists_every_subcommand(capsys):
    text = help_of(capsys)
    assert all(name in text for name in cli.COMMANDS)


@pytest.mark.parametrize("name", sorted(cli.COMMANDS))
def test_every_subcommand_explains_itself_and_is_in_the_readme(capsys, name):
    text = help_of(capsys, name)
    assert text.startswith(f"usage: rulebot {name}")
    assert re.search(rf"rulebot {re.escape(name)}\b", README), f"README does not show `rulebot {name}`"
    for option in re.findall(r"^\s+(--[a-z][a-z-]*)", text, re.M):
        if option != "--help":
            assert option in README, f"README does not document `rulebot {name} {option}`"


def settings_read_by_the_code() -> set[str]:
    from bot.channels import telegram, zalo
    from bot.channels.settings import VARIABLES

    names = set()
    for path in [*REPO.glob("bot/**/*.py"), *REPO.glob("retrieval/**/*.py")]:
        names |= set(re.findall(r"""["']((?:RULEBOT|TELEGRAM|ZALO)_[A-Z_]+)["']""", path.read_text(encoding="utf-8")))
    names |= {f"{p.prefix}_{v}" for p in (telegram.PLATFORM, zalo.PLATFORM) for v in VARIABLES}
    return names


def test_every_setting_the_code_reads_is_documented():
    missing = sorted(n for n in settings_read_by_the_code() if n not in README)
    assert not missing, f"README does not document {missing}"


def test_the_readme_documents_no_setting_the_code_does_not_read():
    documented = set(re.findall(r"\b((?:RULEBOT|TELEGRAM|ZALO)_[A-Z_]+)=", README))
    assert not documented - settings_read_by_the_code()


def test_a_bad_setting_of_one_channel_breaks_no_other_command(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("ZALO_WEBHOOK_LISTEN", "abc")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "not a token")
    assert cli.main(["ask", "--index", str(tmp_path / "none"), "hỏi"]) == 2  # the missing index, not the channels
    err = capsys.readouterr().err
    assert "rulebot index" in err and "ZALO" not in err and "TELEGRAM" not in err


def test_a_reader_that_leaves_early_ends_the_command_quietly(monkeypatch):
    def leaves(args):
        raise BrokenPipeError

    monkeypatch.setattr("bot.cli.core.run", leaves)
    monkeypatch.setattr("bot.cli._silence_stdout", lambda: None)
    assert cli.main(["sources"]) == 0
