"""The package's import graph, read from the source: no cycles, layers point down, and the
cheap entry points (``import zoo``, ``zoo --help``, ``zoo list``) load no heavy library."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "zoo"
# A module never imports from a layer above it (DESIGN.md): the command layer is on top,
# then the pipeline, and nothing below the pipeline trains or parses commands.
ABOVE = {
    "zoo.commands": (),
    "zoo.pipeline": ("zoo.commands",),
    "zoo.tasks": ("zoo.commands", "zoo.pipeline"),
    "zoo.hub": ("zoo.commands", "zoo.pipeline", "zoo.tasks", "zoo.callbacks"),
    "zoo.models": ("zoo.commands", "zoo.pipeline", "zoo.tasks", "zoo.callbacks", "zoo.hub"),
    "zoo.backbone": ("zoo.commands", "zoo.pipeline", "zoo.tasks", "zoo.callbacks", "zoo.hub", "zoo.models"),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """module -> the zoo modules it imports anywhere in its source (lazy imports included)."""
    modules = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    targets.add(sub if sub in modules else node.module)
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as [a, b, ..., a], or None (depth-first search)."""
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return stack[stack.index(target) :] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_package_has_no_import_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, " -> ".join(cycle)


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]


@pytest.mark.parametrize("layer", sorted(ABOVE))
def test_layers_import_nothing_above_them(layer):
    upward = {
        f"{module} -> {target}"
        for module, targets in import_graph().items()
        if module == layer or module.startswith(layer + ".")
        for target in targets
        if any(target == above or target.startswith(above + ".") for above in ABOVE[layer])
    }
    assert not upward, sorted(upward)


def _loaded_after(code: str) -> set[str]:
    script = f"import sys\n{code}\nprint(' '.join(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    return set(result.stdout.split())


HEAVY = {"torch", "lightning", "torchaudio", "torchvision", "soundfile", "tokenizers", "datasets"}


def test_import_zoo_loads_no_heavy_library():
    assert not HEAVY & _loaded_after("import zoo")


@pytest.mark.parametrize("argv", [[], ["--help"], ["list"]], ids=["no-arguments", "help", "list"])
def test_zoo_usage_and_list_answer_without_torch(argv, capsys):
    loaded = _loaded_after(f"from zoo.commands import main\nmain({argv!r})")
    assert not HEAVY & loaded, sorted(HEAVY & loaded)


def test_an_image_model_loads_without_the_audio_and_text_libraries():
    loaded = _loaded_after("import zoo\nzoo.load('vit-tiny-fashion-mnist')")
    assert "torch" in loaded and not {"torchaudio", "soundfile", "tokenizers", "datasets"} & loaded
