"""The guides in docs/, the quickstart's README and the README's table: every
topic has a guide that points to runnable files, and every link leads
somewhere. The two samples written for the guides (commands, extension) do
what their guides say."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
QUICKSTART = ROOT / "examples" / "quickstart"
TOPICS = [
    "routing",
    "templates",
    "requests",
    "sessions",
    "errors",
    "json",
    "cli",
    "deployment",
    "extensions",
]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def local_links(markdown: Path) -> list[Path]:
    """The files and folders a markdown file links to (web links aside)."""
    targets = LINK.findall(markdown.read_text(encoding="utf-8"))
    return [(markdown.parent / t).resolve() for t in targets if "://" not in t]


@pytest.mark.parametrize("topic", TOPICS)
def test_each_topic_has_a_guide_pointing_to_runnable_files(topic: str) -> None:
    guide = DOCS / f"{topic}.md"
    links = local_links(guide)
    assert all(link.exists() for link in links), [
        str(link) for link in links if not link.exists()
    ]
    runnable = [link for link in links if link.suffix == ".py"]
    assert any(QUICKSTART in link.parents for link in runnable), guide
    text = guide.read_text(encoding="utf-8")
    assert "## Run it" in text or "Runnable:" in text
    assert re.search(r"kolba --app \S+ run", text), "says how to run it"


def test_the_quickstart_readme_lists_every_guide_and_every_sample() -> None:
    readme = QUICKSTART / "README.md"
    links = set(local_links(readme))
    assert all(link.exists() for link in links)
    assert {DOCS / f"{topic}.md" for topic in TOPICS} <= links
    samples = {p.resolve() for p in QUICKSTART.glob("*.py")}
    assert samples <= links, sorted(str(p.name) for p in samples - links)


def heading_anchors(markdown: str) -> set[str]:
    """The anchors of a markdown text's headings, as GitHub makes them."""
    return {
        re.sub(r"[^\w\- ]", "", h).strip().lower().replace(" ", "-")
        for h in re.findall(r"^#+ (.+)$", markdown, re.M)
    }


def test_the_readme_table_links_to_examples_and_docs_not_tests() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("## What works")[1].split("\n## ")[0]
    rows = [line for line in table.splitlines() if line.startswith("| ")][2:]
    assert rows
    for row in rows:
        learn = row.rstrip(" |").rsplit(" | ", 1)[1]
        assert "test_" not in learn, row
        assert "](" in learn, row
    for target in LINK.findall(table):
        assert (ROOT / target).exists(), target
    missing = set(re.findall(r"\]\(#([^)]+)\)", table)) - heading_anchors(readme)
    assert not missing, missing


def test_a_setting_the_readme_table_names_is_documented_where_it_links() -> None:
    # "[examples/notes](examples/notes/README.md#...) (`NOTES_SESSION_STORE`)":
    # that page says what the setting does, under the heading linked to.
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("## What works")[1].split("\n## ")[0]
    named = re.findall(r"\]\(([^)#\s]+\.md)(?:#([^)]*))?\) \(`([A-Z_]+)`\)", table)
    assert named
    for target, anchor, setting in named:
        page = (ROOT / target).read_text(encoding="utf-8")
        assert f"`{setting}" in page, (target, setting)
        assert not anchor or anchor in heading_anchors(page), (target, anchor)


def load(name: str):
    spec = importlib.util.spec_from_file_location(
        f"docs_{name}", QUICKSTART / f"{name}.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cli_guide_sample_adds_a_command() -> None:
    app = load("commands").app
    runner = app.test_cli_runner()
    assert runner.invoke(args=["greet", "ann"]).output == "Hello, ann!\n"
    assert runner.invoke(args=["greet", "ann", "--shout"]).output == "HELLO, ANN!\n"
    assert app.test_client().get("/").text == "Hello, World!"


def test_extension_guide_sample_closes_its_connection() -> None:
    module = load("extension")
    app = module.create_app({"DATABASE": ":memory:"})
    assert app.extensions["database"] is module.db
    assert app.test_client().get("/").text == "The database says 42."
    with app.app_context():
        connection = module.db.connection()
        assert module.db.connection() is connection  # one per app context
    with pytest.raises(Exception, match="closed"):
        connection.execute("SELECT 1")
