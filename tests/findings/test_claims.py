"""The findings section: every shipped findings study parses; mistakes name the key."""

from pathlib import Path

import pytest
import yaml

from prunability.config import ConfigError
from prunability.findings import load, parse
from prunability.findings.variants import variant_studies

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted((ROOT / "config" / "findings").glob("*.yaml"))


def tiny_with(claims, **section):
    raw = yaml.safe_load((ROOT / "config" / "studies" / "tiny.yaml").read_text())
    raw["findings"] = {"claims": claims, **section}
    return raw


def claim(**overrides):
    base = {"id": "c1", "paper": "P", "claim": "C", "evaluator": "kendall_tau", "params": {"measure": "prunability"},
            "criterion": {"direction": "above", "threshold": 0, "text": "written first"}}
    return {**base, **overrides}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_findings_study_parses(path):
    findings = load(path)
    assert findings.claims and all(c.criterion.text.strip() for c in findings.claims)
    assert all(c.explanation.strip() for c in findings.claims), "say beforehand what might explain a failure"


def test_defaults_are_filled():
    f = parse(tiny_with([claim()]))
    c = f.claims[0]
    assert c.params == {"measure": "prunability", "target": "generalization_gap"}
    assert c.criterion.max_width == 1.0 and f.resamples == 1000 and f.variants is None


@pytest.mark.parametrize("bad, message", [
    (claim(evaluator="nope"), "findings.claims.0 (c1).evaluator: 'nope' is not valid; choose one of: kendall_tau"),
    (claim(params={"measure": "prunability", "typo": 1}), "findings.claims.0 (c1).params: Additional properties"),
    (claim(params={"measure": "prunability", "target": "accuracy"}), "params.target: 'accuracy' is not valid"),
    (claim(criterion={"direction": "above", "threshold": 0}), "'text' is a required property"),
    (claim(criterion={"direction": "up", "threshold": 0, "text": "t"}), "findings.claims.0.criterion.direction: 'up'"),
])
def test_mistakes_name_the_key(bad, message):
    with pytest.raises(ConfigError, match=None) as error:
        parse(tiny_with([bad]))
    assert message in str(error.value)


def test_duplicate_claim_ids_are_refused():
    with pytest.raises(ConfigError, match="unique"):
        parse(tiny_with([claim(), claim()]))


def test_a_study_without_findings_says_how_to_add_them():
    raw = yaml.safe_load((ROOT / "config" / "studies" / "tiny.yaml").read_text())
    with pytest.raises(ConfigError, match="findings: {claims"):
        parse(raw)


def test_variants_are_ordinary_studies_with_their_own_names_and_ids():
    raw = tiny_with([claim()], variants={"key": "dataset.label_noise", "values": [0.0, 0.2]})
    runs = variant_studies(parse(raw))
    assert [(v, s.study, s.dataset.label_noise) for v, s in runs] == [
        (0.0, "tiny-label-noise0", 0.0), (0.2, "tiny-label-noise0p2", 0.2)]
    assert all("findings" not in s.raw for _, s in runs)
    from prunability.zoo import expand
    ids = [{m.model_id for m in expand(s)} for _, s in runs]
    assert not ids[0] & ids[1]
