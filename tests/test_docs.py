"""The README and docs/ stay short, linked and true to the code: every docs page the README lists exists, every table
says the command that made it, and every module the text names exists in the package."""

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "src" / "galaxy10"
README = REPO / "README.md"
PAGES = [README, *sorted((REPO / "docs").glob("*.md"))]
TEXTS = [*PAGES, REPO / "config" / "README.md"]  # every text that may name a module
COMMAND = re.compile(r"`(?:\.venv/bin/|python|snakemake|bash)[^`]*`")
LINES_ABOVE = 4


def prose_lines(path: Path) -> list[str]:
    """The file's lines, with those inside fenced code blocks blanked out."""
    lines, fenced = [], False
    for line in path.read_text().splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
            lines.append("")
        else:
            lines.append("" if fenced else line)
    return lines


def tables(lines: list[str]) -> list[int]:
    """Line indices of each Markdown table's header: a `|` line followed by a `| --- |` separator."""
    return [
        k for k in range(len(lines) - 1)
        if lines[k].lstrip().startswith("|") and re.match(r"^\s*\|?\s*:?-{3,}", lines[k + 1])
        and not (k and lines[k - 1].lstrip().startswith("|"))
    ]


def test_the_readme_is_a_short_front_door():
    assert len(README.read_text().splitlines()) <= 150


def test_the_readme_gives_the_test_command_ci_runs():
    assert ".venv/bin/python -m pytest" in README.read_text()
    assert ".venv/bin/python -m pytest" in (REPO / ".ci" / "run").read_text()


def test_every_docs_page_the_readme_lists_exists():
    linked = [target for line in README.read_text().splitlines() if line.startswith("|")
              for target in re.findall(r"\]\((docs/[^)#]+\.md)", line)]
    assert linked, "the README has no table of docs pages"
    assert not [target for target in linked if not (REPO / target).is_file()]


@pytest.mark.parametrize("page", PAGES, ids=lambda path: path.name)
def test_every_markdown_link_leads_to_a_page(page):
    broken = [target for target in re.findall(r"\]\(([^)#:]+\.md)(?:#[^)]*)?\)", page.read_text())
              if not (page.parent / target).is_file()]
    assert not broken, broken


@pytest.mark.parametrize("page", PAGES, ids=lambda path: path.name)
def test_every_table_has_the_command_that_made_it_just_above(page):
    lines = prose_lines(page)
    missing = []
    for header in tables(lines):
        above = [line for line in lines[:header] if line.strip()][-LINES_ABOVE:]
        if not any(COMMAND.search(line) for line in above):
            missing.append(f"{page.name}:{header + 1}: {lines[header][:60]}")
    assert not missing, "tables without a command in the 4 lines above them:\n" + "\n".join(missing)


def module_exists(dotted: str) -> bool:
    """Whether `galaxy10.a.b...` names a package, a module, or a name defined at the top of a module."""
    path = PACKAGE
    parts = dotted.split(".")[1:]
    for k, part in enumerate(parts):
        if (path / part).is_dir():
            path = path / part
        elif (path / f"{part}.py").is_file():
            rest = parts[k + 1 :]
            text = (path / f"{part}.py").read_text()
            return not rest or bool(re.search(rf"^(?:class|def)\s+{rest[0]}\b|^{rest[0]}\s*[:=]", text, re.M))
        else:
            return False
    return True


@pytest.mark.parametrize("text", TEXTS, ids=lambda path: str(path.relative_to(REPO)))
def test_every_module_named_exists(text):
    content = text.read_text()
    paths = [match.rstrip(".") for match in re.findall(r"src/galaxy10/[\w/.]*", content)]
    dotted = re.findall(r"(?<![\w/.-])galaxy10(?:\.[A-Za-z_]\w*)+", content)
    wrong = [path for path in paths if not (REPO / path).exists()]
    wrong += [name for name in dotted if not module_exists(name)]
    assert not wrong, f"{text.name} names modules that do not exist: {sorted(set(wrong))}"
