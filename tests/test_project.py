"""The project's promises about itself: pins agree, the CLI is wired, CI runs the README's command."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

from conftest import REPO
from instrid import cli


def pip_pins(lines):
    return dict(re.findall(r"^\s*-?\s*([A-Za-z0-9_.\-]+)==([^\s#]+)", lines, flags=re.M))


def test_environment_yml_matches_pyproject_pins():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    declared = project["dependencies"] + project["optional-dependencies"]["test"]
    assert all("==" in d for d in declared), "every direct dependency is pinned"
    pyproject = pip_pins("\n".join(declared))
    conda = pip_pins((REPO / "environment.yml").read_text())
    assert conda == pyproject
    assert "tinysoundfont==0.3.7" in (REPO / "Makefile").read_text()


def test_ci_runs_the_readme_test_command():
    readme = (REPO / "README.md").read_text()
    assert "make study" in readme and "make test" in readme
    assert (REPO / ".ci" / "run").read_text().strip().splitlines()[-1] == "make test"


def test_console_script_reports_errors_with_the_file(tmp_path):
    result = subprocess.run([sys.executable, "-m", "instrid.cli", "data", "info", "--root", str(tmp_path)],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.startswith(f"instrid: error: {tmp_path}: not a MusicNet-format root")


def test_info_summarises_a_tree(tiny_tree, capsys):
    assert cli.main(["data", "info", "--root", str(tiny_tree)]) == 0
    assert "train    2 recordings" in capsys.readouterr().out
