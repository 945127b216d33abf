"""The docs say what the product does: every command and option is in the
manual, the front door keeps its promises, and the milestone table it quotes
is the one the golden run prints (sqlite-utils' test_docs.py is the model)."""

import re
from pathlib import Path

import click
import golden
import pytest

from cli import main

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
CLI_DOC = ROOT / "docs" / "cli.md"


def command_sections() -> dict[str, str]:
    text = CLI_DOC.read_text()
    parts = re.split(r"^## `revisit (\w[\w-]*)`\s*$", text, flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


COMMANDS = sorted(main.commands)


def test_every_command_has_a_section():
    assert sorted(command_sections()) == COMMANDS


@pytest.mark.parametrize("name", COMMANDS)
def test_every_option_is_documented(name):
    section = command_sections().get(name, "")
    missing = [opt for p in main.commands[name].params if isinstance(p, click.Option)
               for opt in p.opts + p.secondary_opts if f"`{opt}" not in section and f" {opt}" not in section]
    assert not missing, f"docs/cli.md, `revisit {name}`: not documented: {missing}"


def test_the_command_table_lists_every_command():
    head = CLI_DOC.read_text().split("\n## ", 1)[0]
    listed = sorted(re.findall(r"^\| \[`([\w-]+)`\]\(#revisit-", head, flags=re.M))
    assert listed == COMMANDS


def test_the_sweep_file_example_parses():
    """The manual's example sweep file: 2 points x 16 combinations of [vary]."""
    import tomllib

    from constellation.sweepspec import parse_sweep

    text = (Path(__file__).resolve().parents[1] / "docs" / "sweeps.md").read_text()
    example = text.split("```toml\n", 1)[1].split("```", 1)[0]
    assert len(parse_sweep(tomllib.loads(example), "sweeps.md").configurations()) == 32


def test_top_level_options_are_documented():
    head = CLI_DOC.read_text().split("\n## ", 1)[0]
    assert "--version" in head and "--help" in head


def test_readme_opens_with_the_two_commands():
    text = README.read_text()
    first_block = re.search(r"```bash\n(.*?)```", text, re.S).group(1).strip().splitlines()
    assert first_block == [
        "python3 -m venv .venv && . .venv/bin/activate && pip install -e . && revisit run",
        "python3 -m venv .venv && . .venv/bin/activate && pip install -e '.[test]' && python -m pytest -q -n 2",
    ]
    assert text.index("```bash") < text.index("\n## ")


def test_the_front_door_is_short_and_speaks_of_the_product():
    assert len(README.read_text().splitlines()) <= 200
    for path in [README, *sorted((ROOT / "docs").glob("*.md")), ROOT / "benchmarks" / "README.md"]:
        hits = re.findall(r"(?i)\bissue \d+|issue's|design notes|this session", path.read_text())
        assert not hits, f"{path.name}: {hits}"


def test_readme_milestone_table_is_the_golden_run():
    """The table the README quotes is what `revisit run` prints for the golden
    milestone run (test_golden.py holds the run to the golden file)."""
    from sim.outputs.report import milestone_table

    text = README.read_text()
    quoted = re.search(r"```text\n(scenario +sats claim.*?)```", text, re.S).group(1).rstrip("\n")
    printed = milestone_table(golden.load("milestones")).split("\n\nBeyond revisit")[0].rstrip("\n")
    assert quoted == printed


def test_docs_links_resolve():
    broken = []
    for path in [README, *sorted((ROOT / "docs").glob("*.md")), ROOT / "benchmarks" / "README.md"]:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", path.read_text()):
            if "://" in target:
                continue
            if not (path.parent / target).exists():
                broken.append(f"{path.relative_to(ROOT)} -> {target}")
    assert not broken, broken
