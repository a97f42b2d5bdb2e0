"""store/ is the core every front end stands on: it must not import a front end."""

import ast
from pathlib import Path

FORBIDDEN = {"textual", "rich", "fastapi", "starlette", "uvicorn", "flask", "django", "tui", "api"}


def test_store_imports_no_front_end():
    offenders = []
    for path in sorted((Path(__file__).parents[1] / "store").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                if name.split(".")[0] in FORBIDDEN:
                    offenders.append(f"{path.name}:{node.lineno} imports {name}")
    assert offenders == []
