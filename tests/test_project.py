"""The project's promises about itself: pins agree, the CLI is wired, CI runs the README's command."""

from __future__ import annotations

import io
import re
import tokenize

import tomllib

from conftest import REPO


def pip_pins(lines):
    return dict(re.findall(r"^\s*-?\s*([A-Za-z0-9_.\-]+)==([^\s#]+)", lines, flags=re.M))


def test_environment_yml_matches_pyproject_pins():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    declared = project["dependencies"] + project["optional-dependencies"]["test"]
    assert all("==" in d for d in declared), "every direct dependency is pinned"
    pyproject = pip_pins("\n".join(declared))
    conda = pip_pins((REPO / "environment.yml").read_text())
    assert conda == pyproject
    # Packages installed without their declared dependencies: pinned alike in Makefile and environment.yml.
    no_deps = re.search(r"^NO_DEPS := (.*)$", (REPO / "Makefile").read_text(), flags=re.M).group(1).split()
    from instrid.models import musicnn, notes

    assert no_deps == ["tinysoundfont==0.3.7", musicnn.PACKAGE, notes.PACKAGE]
    assert f"pip install --no-deps {' '.join(no_deps)}" in (REPO / "environment.yml").read_text()


def test_ci_runs_the_readme_test_command():
    readme = (REPO / "README.md").read_text()
    assert "make study" in readme and "make test" in readme
    assert (REPO / ".ci" / "run").read_text().strip().splitlines()[-1] == "make test"


# The study's notebooks (a <name>.failed.ipynb that a failed run leaves beside one, to read, is not one).
NOTEBOOKS = sorted(
    p for p in (REPO / "notebooks").glob("[0-9][0-9]_*.ipynb") if not p.name.endswith(".failed.ipynb")
)


def test_notebooks_are_short_cells_ending_with_their_finding():
    import nbformat

    assert len(NOTEBOOKS) >= 7
    for path in NOTEBOOKS:
        notebook = nbformat.read(path, as_version=4)
        code = [c for c in notebook.cells if c.cell_type == "code"]
        tags = [c.metadata.get("tags", []) for c in code]
        assert ["parameters"] in tags and not any("injected-parameters" in t for t in tags), path.name
        for cell in code:
            if "parameters" not in cell.metadata.get("tags", []):
                # Statements, not screen lines: the formatter may spread one call over several lines.
                statements = sum(
                    t.type == tokenize.NEWLINE
                    for t in tokenize.generate_tokens(io.StringIO(cell.source + "\n").readline)
                )
                assert statements <= 15, f"{path.name}: a cell of {statements} statements"
                assert len(cell.source.splitlines()) <= 30, (
                    f"{path.name}: a cell of {len(cell.source.splitlines())} lines"
                )
            assert "def " not in cell.source, f"{path.name}: functions belong in the package"
        findings = [c for c in code if "findings.finding(" in c.source]
        assert len(findings) == 1 and f'"{path.stem}"' in findings[0].source, path.name
        # The Finding is the last thing computed; only the checks follow it.
        assert all("NBVAL_CHECK_OUTPUT" in c.source for c in code[code.index(findings[0]) + 1 :]), path.name


def test_committed_notebooks_show_no_machine_facts():
    import nbformat

    from instrid.app.notebooks import TQDM_TIMING

    for path in NOTEBOOKS:
        notebook = nbformat.read(path, as_version=4)
        assert "papermill" not in notebook.metadata, path.name
        for cell in notebook.cells:
            assert not {"execution", "papermill"} & set(cell.metadata), path.name
            for output in cell.get("outputs", []):
                text = output.get("text", "") + str(output.get("data", {}).get("text/plain", ""))
                assert not re.search(r"/(work|home|root|tmp|Users)/", text), (
                    f"{path.name}: a machine path: {text[:80]}"
                )
                assert "Warning" not in text and "PosixPath" not in text, f"{path.name}: {text[:80]}"
                assert not TQDM_TIMING.search(text), f"{path.name}: a timing: {text[:80]}"
                assert output.get("output_type") != "error", path.name


def test_the_cli_names_the_models_instrid_train_fits():
    from instrid.app import cli, trainer

    assert set(cli.MODEL_OF_BACKBONE.values()) == set(trainer.MODELS)
    for backbone, name in cli.MODEL_OF_BACKBONE.items():
        assert trainer.MODELS[name].backbone == backbone
    assert cli.MODEL_OF_BACKBONE[cli.SHIPPED_BACKBONE] == trainer.SHIPPED


def test_figures_are_drawn_at_print_width_with_legible_text():
    from PIL import Image

    from instrid.report import plots

    for path in sorted((REPO / "figures").glob("*.png")):
        image = Image.open(path)
        width_in = image.size[0] / 300  # saved at 300 dpi
        assert width_in <= plots.WIDTH * 1.1, (
            f"{path.name}: {width_in:.1f} in wide (print width {plots.WIDTH})"
        )
        assert image.info.get("Description"), f"{path.name}: no configuration in its metadata"
    source = (REPO / "instrid" / "report" / "plots.py").read_text()
    sizes = [float(s) for s in re.findall(r"fontsize=([0-9.]+)", source)]
    assert all(size >= 8 for size in sizes), sizes


def test_the_readme_reads_in_30_seconds_and_the_findings_stay_short():
    readme = (REPO / "README.md").read_text()
    findings = (REPO / "FINDINGS.md").read_text()

    def cells(text):
        return [
            c.strip()
            for line in text.splitlines()
            if line.startswith("|")
            for c in line.strip("|").split("|")
        ]

    assert len(readme.splitlines()) <= 150
    assert max(len(c) for c in cells(readme)) <= 120  # one short row per claim
    assert max(len(c.split()) for c in cells(findings)) <= 50  # detail stays in the notebooks
    assert not re.search(r"\b(issue|tracker) ?#?\d+", readme + findings, re.IGNORECASE)
