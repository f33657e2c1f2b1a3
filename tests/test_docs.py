"""Every documentation example runs: a page's ``python`` blocks, in order, as one script."""

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).parents[1] / "docs"
README = Path(__file__).parents[1] / "README.md"
FENCE = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)
PAGES = sorted(p for p in [*DOCS.rglob("*.md"), README] if FENCE.search(p.read_text("utf-8")))


def blocks(page: Path) -> list[str]:
    return FENCE.findall(page.read_text(encoding="utf-8"))


def test_docs_have_examples() -> None:
    with_examples = [p.name for p in PAGES if blocks(p)]
    assert "README.md" in with_examples
    assert len(with_examples) >= 5


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(p.parents[1])))
def test_page_examples_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code = "\n".join(blocks(page))
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem}"}
    exec(compile(code, str(page), "exec"), namespace)
    # The page defined what it shows (at least one name beyond the module's own).
    assert set(namespace) - {"__name__", "__builtins__"}
