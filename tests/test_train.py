"""Training runs end to end on a small subset and writes a loadable model and a card."""

import json

import numpy as np
import pytest

from listening.corpus import load_corpus
from listening.finetune import FineTuneConfig
from listening.model import ListeningModel, best_thresholds, fit_platt
from listening.train import AIMED_ROUNDS, held_out_split, pinned_disclosures, row_weights, run, split_by_disclosure


def test_the_held_out_split_never_shares_a_disclosure(library):
    examples = load_corpus(library=library)
    train, test = split_by_disclosure(examples, library)
    assert train and test and not set(train) & set(test)
    train_groups = {examples[i].group for i in train}
    test_groups = {examples[i].group for i in test}
    assert not train_groups & test_groups
    assert any(library[g].implicates_listener for g in test_groups)


def test_the_listed_disclosures_are_the_test_set_and_a_new_exercise_trains(library, tmp_path):
    examples = load_corpus(library=library)
    listed = pinned_disclosures()
    assert listed and listed <= set(library)  # every listed id is an exercise: a typo would shrink the test set
    train, test = held_out_split(examples, library)
    assert {examples[i].group for i in test} == listed
    assert not {examples[i].group for i in train} & listed
    fewer = tmp_path / "list.txt"
    fewer.write_text("# comment\n" + "\n".join(sorted(listed)[1:]) + "\n", encoding="utf-8")
    train, test = held_out_split(examples, library, pinned=fewer)
    assert sorted(listed)[0] in {examples[i].group for i in train}
    assert held_out_split(examples, library, pinned=tmp_path / "none.txt") == split_by_disclosure(examples, library)


def test_the_corpus_is_big_and_covers_every_label(library):
    examples = load_corpus(library=library)
    assert len(examples) >= 3000
    for label in ("judgment", "defensiveness", "premature_advice", "minimizing", "self_focus",
                  "validation", "reflection", "open_question"):
        assert sum(label in e.labels for e in examples) >= 200, label
    for example in examples:
        for spans in example.evidence.values():
            assert all(span in example.reply for span in spans)


def test_replies_of_the_aimed_rounds_weigh_what_the_config_says(library):
    examples = load_corpus(library=library)
    weights = row_weights(examples, FineTuneConfig(aimed_weight=0.25))
    aimed = np.array([e.source.startswith(AIMED_ROUNDS) for e in examples])
    assert aimed.any() and (~aimed).any()  # both kinds are in the corpus
    assert np.all(weights[aimed] == 0.25) and np.all(weights[~aimed] == 1.0)
    assert np.all(row_weights(examples, FineTuneConfig(aimed_weight=1.0)) == 1.0)


def test_thresholds_follow_the_row_weights():
    rng = np.random.default_rng(0)
    # positives scoring 0.6-0.7, negatives 0.1-0.2, and positives scoring 0.3-0.4 that only some
    # writers would have labelled: counted, the cut must fall to 0.3 to take them; weighted out, the
    # cut stays where the rest are separated and nearest 0.5
    p = np.concatenate([rng.uniform(0.6, 0.7, 100), rng.uniform(0.1, 0.2, 100), rng.uniform(0.3, 0.4, 200)])
    y = np.concatenate([np.ones(100), np.zeros(100), np.ones(200)])
    weights = np.concatenate([np.ones(200), np.zeros(200)])
    assert best_thresholds(p[:, None], y[:, None])[0] <= 0.3
    assert best_thresholds(p[:, None], y[:, None], weights)[0] == pytest.approx(0.5)


def test_calibration_follows_the_row_weights():
    rng = np.random.default_rng(0)
    # scores of 0.6-0.7: positive a third of the time over all rows, always once the 200 negatives
    # among them weigh nothing
    p = np.concatenate([rng.uniform(0.6, 0.7, 100), rng.uniform(0.1, 0.3, 100), rng.uniform(0.6, 0.7, 200)])
    y = np.concatenate([np.ones(100), np.zeros(300)])
    weights = np.concatenate([np.ones(200), np.zeros(200)])
    z = np.log(p / (1 - p))[:, None]
    at = np.log(0.65 / 0.35)

    def calibrated(a, b):
        return 1 / (1 + np.exp(-(at * a[0] + b[0])))

    assert calibrated(*fit_platt(z, y[:, None])) < 0.5 < 0.8 < calibrated(*fit_platt(z, y[:, None], weights=weights))


@pytest.mark.slow
def test_a_smoke_training_run_writes_a_model_card_and_metrics(tmp_path):
    config = FineTuneConfig(epochs=1)
    figures = run(out=tmp_path, config=config, subset=300)
    model = ListeningModel.load(tmp_path)
    assert model.thresholds.shape == (8,) and np.all((model.thresholds > 0) & (model.thresholds < 1))
    assert figures["test"]["replies"] > 0
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["test"]["macro_f1"] == pytest.approx(figures["test"]["macro_f1"])
    card = (tmp_path / "MODEL_CARD.md").read_text()
    assert f"{figures['test']['macro_f1']:.3f}" in card
    assert "## Limitations" in card and "## Intended use" in card
    again = run(out=tmp_path / "again", config=config, subset=300)
    assert again["thresholds"] == figures["thresholds"]  # fixed seeds: the same model twice


def test_evaluate_measures_the_shipped_model_again_and_gets_its_figures(tmp_path, capsys):
    import shutil

    from listening.cli import main
    from listening.model import MODEL_DIR

    shutil.copytree(MODEL_DIR, tmp_path / "model", ignore=shutil.ignore_patterns("corpus", "context", "heldout"))
    shipped = json.loads((MODEL_DIR / "metrics.json").read_text(encoding="utf-8"))
    (tmp_path / "model" / "MODEL_CARD.md").unlink()
    assert main(["evaluate", "--model", str(tmp_path / "model")]) == 0
    again = json.loads((tmp_path / "model" / "metrics.json").read_text(encoding="utf-8"))
    for new, old in [(again["test"], shipped["test"]), (again["test_authored_context"], shipped["test_authored_context"]),
                     (again["slices"]["texting"], shipped["slices"]["texting"])]:
        assert new["macro_f1"] == pytest.approx(old["macro_f1"], abs=1e-6)
        assert {l: f["f1"] for l, f in new["labels"].items()} == pytest.approx(
            {l: f["f1"] for l, f in old["labels"].items()}, abs=1e-6)
    assert again["context"] == pytest.approx(shipped["context"])
    assert "practised as exercises" in (tmp_path / "model" / "MODEL_CARD.md").read_text(encoding="utf-8")
    # the written context is the exercises' own: it can only help on the labels the context gates
    assert again["test_authored_context"]["labels"]["defensiveness"]["f1"] >= again["test"]["labels"]["defensiveness"]["f1"]


def test_evaluate_without_training_figures_says_so(tmp_path, capsys):
    import shutil

    from listening.cli import main
    from listening.model import MODEL_DIR, WEIGHTS

    (tmp_path / "model").mkdir()
    shutil.copy(MODEL_DIR / WEIGHTS, tmp_path / "model" / WEIGHTS)
    assert main(["evaluate", "--model", str(tmp_path / "model")]) == 2
    message = capsys.readouterr().err.strip()
    assert message.startswith("error:") and "metrics.json" in message and "Traceback" not in message
