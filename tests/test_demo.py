import os

import pytest

from saliency_demo.demo import run_demo


@pytest.mark.slow
def test_demo_trains_exports_and_audits_the_three_models(tmp_path):
    lines = []
    exports, rows = run_demo(str(tmp_path), epochs=1, seed=0, echo=lines.append)
    assert set(exports) == {"decoy_vanilla", "decoy_input_gradient", "decoy_counterfactual"}
    for path in exports.values():
        assert os.path.isfile(os.path.join(path, "saved_model.pb"))
    assert "not real reviews" in lines[0]
    for name, flips, drop, clean, decoy, share in rows:
        assert 0 <= flips <= 1 and -1 <= drop <= 1 and 0 <= clean <= 1 and 0 <= decoy <= 1 and 0 <= share <= 1
    assert any("flips w/o decoy" in line for line in lines)
    assert os.path.isfile(tmp_path / "audit" / "decoy_counterfactual" / "test_decoy" / "report.html")
