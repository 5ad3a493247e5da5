"""The Findings: each notebook's closing verdicts, and one verdict per claim of the report.

:func:`finding` writes a notebook's Finding from its own results (the claims of
:mod:`instrid.report.claims` it measures, judged by :mod:`instrid.report.judges`);
:func:`claim_verdict` gives a claim measured on several models its one verdict.
The README's tables are :func:`instrid.report.results.findings_section` of every
notebook's results, so a rerun on other data (real MusicNet) rewrites every
verdict.
"""

from __future__ import annotations

from instrid.report import verdicts
from instrid.report.claims import CLAIMS, TARGETS, Claim, claims_of
from instrid.report.judges import Verdict, judge

__all__ = ["CLAIMS", "TARGETS", "claim_verdict", "finding", "judge"]


def _comparable(config: dict) -> str:
    """Why a number measured under ``config`` cannot be set against the report's, or ``""``."""
    reasons = []
    if config.get("dataset_kind") != "musicnet":
        reasons.append("synthetic audio, not MusicNet's recordings")
    model = config.get("model") or {}
    weights = model.get("weights", "")
    if model.get("backbone") == "musicnn":
        reasons.append(f"backbone musicnn ({weights}), not the report's ImageNet ResNet-18")
    elif not str(weights).startswith("imagenet"):
        reasons.append(f"backbone weights {weights or 'unknown'}, not ImageNet's")
    return "; ".join(reasons)


def claim_verdict(rows: list[tuple[Claim, Verdict]]) -> tuple[str, tuple[Claim, Verdict]]:
    """One claim's verdict from its rows, and the row that decides it.

    A number (reproduced or not) is decided by its first row, measured under
    the report's own protocol. A claim about the model: the verdict its
    informative rows agree on (:func:`instrid.report.verdicts.combine`), shown with
    the first informative row; uninformative where no row is.
    """
    statuses = [v.status for _, v in rows]
    first = rows[0]
    if first[1].status in (verdicts.REPRODUCED, verdicts.REPRODUCED_BY_PRIOR, verdicts.NOT_REPRODUCED):
        return first[1].status, first
    deciding = next((row for row in rows if row[1].status != verdicts.UNINFORMATIVE), first)
    return verdicts.combine(statuses), deciding


def finding(notebook: str, results: dict) -> str:
    """The notebook's closing Finding, as Markdown: the report's words, our numbers, the verdict."""
    lines = ["## Finding", ""]
    if "model" in results.get("config", {}) and _comparable(results["config"]):
        lines += [f"*This run: {_comparable(results['config'])}.*", ""]
    for claim in claims_of(notebook):
        v = judge(claim, results)
        on = f", on {claim.on}" if claim.on else ""
        lines += [
            f'> *"{claim.quote}"* ({claim.source}, {claim.where}{on})',
            "",
            f"**{v.status.capitalize()}.** Report: {v.report}. Here: {v.ours}. {v.text}",
            "",
        ]
    return "\n".join(lines).rstrip() + "\n"
