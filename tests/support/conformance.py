"""Where the BPMN MIWG conformance files are: beside the repository in CI, two levels up in a
work tree."""

from __future__ import annotations

from pathlib import Path

from engine.platform.config import PROJECT_ROOT

CONFORMANCE = next(
    (
        base / "shared" / "conformance" / "bpmn-miwg"
        for base in (PROJECT_ROOT.parent, PROJECT_ROOT.parent.parent, Path("/work"))
        if (base / "shared" / "conformance" / "bpmn-miwg").is_dir()
    ),
    Path("shared/conformance/bpmn-miwg"),
)
