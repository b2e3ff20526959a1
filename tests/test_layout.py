"""The package keeps the shape docs/development.md describes: sub-packages by stage, each importing only the stages below it,
no import cycle, short modules and functions, and one list of model names."""

import ast
from pathlib import Path

import yaml

from galaxy10.data.corruptions import CORRUPTIONS, TRAINING
from galaxy10.training.models import ARCHITECTURES
from galaxy10.training.settings import APPLICATIONS, DENSE_MODELS

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "src" / "galaxy10"
# each stage and the stages it may import; the top-level modules (io, runtime) are for everyone
BELOW = {
    "data": set(),
    "training": {"data"},
    "evaluation": {"data", "training"},
    "study": {"data", "training", "evaluation"},
    "classify": {"data", "training", "evaluation"},
}
MAX_MODULE_LINES, MAX_FUNCTION_LINES = 250, 60


def modules():
    return sorted(PACKAGE.rglob("*.py"))


def module_name(path: Path) -> str:
    return ".".join(("galaxy10", *path.relative_to(PACKAGE).with_suffix("").parts)).removesuffix(".__init__")


def imported(path: Path) -> set[str]:
    """The galaxy10 modules that `path` imports, by their full names."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("galaxy10"):
            names |= {f"{node.module}.{alias.name}" for alias in node.names} | {node.module}
        elif isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names if alias.name.startswith("galaxy10")}
    known = {module_name(p) for p in modules()}
    return {name for name in names if name in known}


def stage(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 2 else None


def test_every_module_is_in_a_stage_or_shared_by_all():
    loose = {module_name(p) for p in modules() if stage(module_name(p)) is None and p.parent == PACKAGE}
    assert loose == {"galaxy10", "galaxy10.io", "galaxy10.runtime"}
    assert {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"} == set(BELOW)


def test_each_stage_imports_only_the_stages_below_it():
    wrong = []
    for path in modules():
        mine = stage(module_name(path))
        for name in imported(path):
            theirs = stage(name)
            if mine and theirs and theirs != mine and theirs not in BELOW[mine]:
                wrong.append(f"{module_name(path)} imports {name}")
            if mine is None and theirs is not None:
                wrong.append(f"{module_name(path)} (shared by all) imports {name}")
    assert not wrong, "\n".join(wrong)


def test_no_import_cycle():
    graph = {module_name(p): imported(p) - {module_name(p)} for p in modules()}
    state = {}

    def visit(name, path):
        if state.get(name) == "open":
            raise AssertionError("import cycle: " + " → ".join([*path, name]))
        if state.get(name) != "done":
            state[name] = "open"
            for other in graph.get(name, ()):
                visit(other, [*path, name])
            state[name] = "done"

    for name in graph:
        visit(name, [])


def test_modules_and_functions_are_short():
    long = []
    for path in [*modules(), *REPO.glob("workflow/scripts/*.py"), *REPO.glob("bench/*.py")]:
        text = path.read_text()
        if path.is_relative_to(PACKAGE) and len(text.splitlines()) > MAX_MODULE_LINES:
            long.append(f"{path.relative_to(REPO)}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(REPO)}:{node.lineno} {node.name}: {length} lines")
    assert not long, "\n".join(long)


def test_the_schemas_model_and_corruption_names_are_the_registrys():
    schema = yaml.safe_load((REPO / "workflow" / "schemas" / "config.schema.yaml").read_text())
    experiment = schema["definitions"]["experiment"]["properties"]
    assert sorted(experiment["model"]["anyOf"][0]["enum"]) == sorted(ARCHITECTURES)
    assert experiment["corrupt"]["items"]["enum"] == list(TRAINING)
    robustness = schema["properties"]["robustness"]["properties"]["corruptions"]
    assert robustness["items"]["enum"] == robustness["default"] == list(CORRUPTIONS)
    assert set(DENSE_MODELS) < set(ARCHITECTURES) and set(APPLICATIONS) < set(ARCHITECTURES)
