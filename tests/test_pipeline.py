"""The notebooks' entry point on a tiny tree: both split kinds, both front-ends, config recorded."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import TREE, make_tree
from instrid.data import examples, instruments, musicnet, splits
from instrid.models import train
from instrid.study import decisions, metrics, pipeline


@pytest.fixture
def tree(tmp_path):
    return make_tree(tmp_path / "t", TREE)


def test_prepare_by_recordings_with_log_mel(tree):
    assert splits.read_splits().set_index("id").loc[[2238, 2232, 1759], "split"].tolist() == [
        "train",
        "validation",
        "test",
    ]
    prepared = pipeline.prepare(
        tree,
        front_end="log_mel",
        head="report_text",
        weights=None,
        train_examples=3,
        validation_examples=2,
        test_examples=2,
        progress=False,
    )
    assert prepared.config["per_split"] == {"train": 3, "validation": 2, "test": 2}
    assert prepared.config["model"]["front_end"]["band_stats"] is not None  # fitted on training crops
    assert prepared.config["model"]["weights"] == "random:seed=0"
    x, y = prepared.split("validation")
    assert x.shape == (2, 512) and x.dtype == np.float32 and y.shape == (2, 11)
    by_split = prepared.examples.table.groupby("split")["recording"].unique()
    assert list(by_split["train"]) == [2238] and list(by_split["test"]) == [1759]
    result = pipeline.fit_head(prepared, train.TrainConfig(epochs=1), progress=False)
    test = pipeline.evaluate(prepared, result.head, "test")
    assert test.scores.shape == test.y_true.shape == (2, 11) and test.recordings.tolist() == [1759, 1759]
    assert ((test.scores > 0) & (test.scores < 1)).all()
    assert set(prepared.config) >= {"dataset", "recordings", "model"} and "date" not in prepared.config
    assert str(tree) not in str(prepared.config)  # no machine path in what results files record
    frames = examples.frame_examples(prepared.dataset, [1759], progress=False)
    framed = pipeline.evaluate_examples(prepared, result.head, frames, progress=False)
    assert framed.scores.shape == framed.y_true.shape == (len(frames), 11) and len(frames) > 2
    assert (framed.y_true == frames.targets).all() and set(framed.recordings) == {1759}
    # The same head on the same audio: a frame equal to a test segment scores as that segment does.
    again = pipeline.evaluate_examples(prepared, result.head, prepared.examples.split("test"), progress=False)
    np.testing.assert_allclose(again.scores, test.scores, rtol=1e-6)


def test_prepare_with_the_report_codes_leaky_split(tree):
    prepared = pipeline.prepare(
        tree,
        weights=None,
        train_examples=100,
        validation_examples=100,
        test_examples=100,
        split_kind="report_code",
        progress=False,
    )
    table = prepared.examples.table
    assert prepared.config["split_kind"] == "report_code"
    assert table.groupby("recording")["split"].nunique().max() > 1  # recordings leak across splits
    positional = pipeline.prepare(
        tree,
        weights=None,
        train_examples=100,
        validation_examples=100,
        test_examples=100,
        split_kind="positional",
        progress=False,
    )
    assert positional.config["split_kind"] == "positional"
    with pytest.raises(ValueError, match="split_kind"):
        pipeline.prepare(tree, weights=None, split_kind="random", progress=False)


def test_seeds_share_one_relabeling_and_draw_what_segment_examples_draws(tree, tmp_path, monkeypatch):
    monkeypatch.setenv(
        "INSTRID_CACHE", str(tmp_path / "cache")
    )  # no stored relabeling of another test's tree
    calls = []
    real = examples.segment_examples
    monkeypatch.setattr(examples, "segment_examples", lambda *a, **k: calls.append(k) or real(*a, **k))
    monkeypatch.setattr(pipeline, "_SEGMENTS", {})
    sizes = {"train_examples": 2, "validation_examples": 1, "test_examples": 1}
    runs = pipeline.prepare_seeds(tree, [0, 1], weights=None, progress=False, **sizes)
    assert len(calls) == 1 and [r.seed for r in runs] == [0, 1]
    direct = real(
        musicnet.MusicNet(tree),
        splits.read_splits(),
        per_split={"train": 2, "validation": 1, "test": 1},
        seed=1,
        progress=False,
    )
    assert runs[1].examples.table.equals(direct.table) and (runs[1].examples.targets == direct.targets).all()
    config = pipeline.study_config(runs, epochs=3)
    assert config["seeds"] == [0, 1] and "seed" not in config and config["epochs"] == 3
    assert config["model"]["weights"] == "random (one draw per seed)"


def test_relabeling_is_stored_once_and_redone_when_a_label_file_or_the_rule_changes(
    tree, tmp_path, monkeypatch
):
    monkeypatch.setenv("INSTRID_CACHE", str(tmp_path / "cache"))
    calls = []
    real = examples.segment_examples
    monkeypatch.setattr(examples, "segment_examples", lambda *a, **k: calls.append(k) or real(*a, **k))
    monkeypatch.setattr(pipeline, "_SEGMENTS", {})
    first = pipeline.all_segments(musicnet.MusicNet(tree), progress=False)
    monkeypatch.setattr(pipeline, "_SEGMENTS", {})  # as a new process (another notebook) finds it
    again = pipeline.all_segments(musicnet.MusicNet(tree), progress=False)
    assert len(calls) == 1 and len(list((tmp_path / "cache" / "segments").glob("*.npz"))) == 1
    pd.testing.assert_frame_equal(first.table, again.table, check_exact=True)
    assert again.targets.dtype == first.targets.dtype and np.array_equal(again.targets, first.targets)
    pipeline.all_segments(musicnet.MusicNet(tree), inclusive_end=True, progress=False)
    assert len(calls) == 2  # the other labeling rule is another entry
    labels_csv = tree / "train_labels" / "2238.csv"
    table = pd.read_csv(labels_csv)
    table.loc[0, "instrument"] = 74  # the first note is a flute's now, not a piano's
    table.to_csv(labels_csv, index=False)
    monkeypatch.setattr(pipeline, "_SEGMENTS", {})
    changed = pipeline.all_segments(musicnet.MusicNet(tree), progress=False)
    assert len(calls) == 3 and not np.array_equal(changed.targets, first.targets)


def test_a_run_restricted_to_some_recordings_and_the_test_split_of_another_rendering(tree, tmp_path):
    prepared = pipeline.prepare(
        tree,
        front_end="log_mel",
        head="report_text",
        weights=None,
        train_examples=4,
        validation_examples=2,
        test_examples=3,
        progress=False,
    )
    only = prepared.only([2238, 1759])
    assert set(only.examples.table["recording"]) <= {2238, 1759} and 2232 not in set(
        only.examples.table["recording"]
    )
    assert only.config["per_split"]["validation"] == 0 and len(only.embeddings) == len(only.examples)
    keep = prepared.examples.table["recording"].isin([2238, 1759]).to_numpy()
    np.testing.assert_array_equal(only.embeddings, np.asarray(prepared.embeddings[keep]))
    # The same test recording rendered otherwise: embedded by this run's model, its front-end as fitted here.
    other = make_tree(tmp_path / "other", {1759: ("test", 0.8, [(0, 30000, 1, 62)])})
    elsewhere = pipeline.prepare_elsewhere(prepared, other, test_examples=5, progress=False)
    assert elsewhere.model is prepared.model and set(elsewhere.examples.table["split"]) == {"test"}
    assert elsewhere.examples.table["recording"].unique().tolist() == [1759]
    assert elsewhere.config["dataset"] == musicnet.MusicNet(other).fingerprint() != prepared.config["dataset"]
    assert (
        elsewhere.config["model"]["front_end"]["band_stats"]
        == prepared.config["model"]["front_end"]["band_stats"]
    )


def test_candidates_compared_on_validation_beside_the_label_prior(tree):
    candidates = {
        pipeline.candidate_label(pipeline.LISTENING): pipeline.LISTENING,
        "random": dict(front_end="log_mel", head="report_text", weights=None),
    }
    options = dict(train_examples=8, validation_examples=6, test_examples=0, progress=False)
    table, configs = pipeline.compare_on_validation(tree, candidates, **options)
    assert list(table.index) == list(candidates) and table.loc["random", "embedding_size"] == 512
    assert table.loc["MTT_musicnn pooled, 232 ms segment", "embedding_size"] == 1506
    assert configs["MTT_musicnn pooled, 232 ms segment"]["model"]["backbone"] == "musicnn"
    assert table["window"].tolist() == ["segment", "segment"] and table["input_ms"].tolist() == [232, 232]
    # The prior depends on the labels alone: the same for every candidate, and computed as written.
    assert table["prior_map"].nunique() == table["prior_f1_micro"].nunique() == 1
    prepared = pipeline.prepare(tree, **pipeline.LISTENING, **options)
    _, y_train = prepared.split("train")
    _, y_val = prepared.split("validation")
    prior = np.tile(y_train.mean(axis=0), (len(y_val), 1))
    assert table["prior_map"].iloc[0] == pytest.approx(metrics.mean_average_precision(y_val, prior))
    best = max(metrics.f1_micro(y_val, prior >= t) for t in np.unique(np.concatenate([prior.ravel(), [1.1]])))
    assert table["prior_f1_micro"].iloc[0] == pytest.approx(best)
    assert 0 <= table.loc["random", "map"] <= 1 and 0 <= table.loc["random", "f1_micro"] <= 1


def test_candidate_labels_and_context():
    assert list(pipeline.listening_candidates())[:3] == [
        f"MTT_musicnn {layer}, 232 ms segment" for layer in ("taggram", "penultimate", "pooled")
    ]
    assert len(pipeline.listening_candidates()) == 6
    context = pipeline.with_context(pipeline.LISTENING, 44_100)
    assert pipeline.candidate_label(context) == "MTT_musicnn pooled, 1000 ms centred"
    assert pipeline.LISTENING["front_end_options"]["window"] == "segment"  # not changed in place
    resnet = dict(front_end="report_spectrogram", head="report_code", weights="auto")
    assert pipeline.candidate_label(resnet) == "resnet18 report_code, report_spectrogram 232 ms"


def _pooled_run(n_recordings=12, per_recording=30, seed=0):
    """A Prepared with embeddings from which the instruments can be read, and no dataset or model."""
    rng = np.random.default_rng(seed)
    recordings = np.repeat(np.arange(n_recordings), per_recording)
    targets = rng.random((len(recordings), instruments.N_INSTRUMENTS)) < 0.3
    embeddings = (targets * 2.0 + rng.normal(0, 0.5, targets.shape)).astype(np.float32)
    table = pd.DataFrame({"recording": recordings, "start": 0, "end": 1, "split": "train"})
    return pipeline.Prepared(None, examples.Examples(table, targets), None, embeddings, {"seed": seed})


def test_cross_validation_scores_every_example_with_a_head_that_never_saw_its_recording():
    run = _pooled_run()
    folds = {r: r % 4 for r in range(12)}
    cv = pipeline.cross_validated(
        run, train.TrainConfig(loss="bce", optimizer="adam", lr=0.01, lr_gamma=1.0, epochs=10, seed=0), folds
    )
    assert (
        cv.scores.shape == run.examples.targets.shape
        and (cv.recordings == run.examples.table["recording"]).all()
    )
    assert metrics.mean_average_precision(cv.y_true, cv.scores) > 0.9  # the embeddings carry the labels
    # Fold 0's scores come from a head trained without fold 0 (nor fold 1, its validation): retrained on the
    # same examples, it gives the same scores.
    role = {r: "test" if f == 0 else "validation" if f == 1 else "train" for r, f in folds.items()}
    fold = run.with_splits(role)
    head = pipeline.fit_head(
        fold,
        train.TrainConfig(loss="bce", optimizer="adam", lr=0.01, lr_gamma=1.0, epochs=10, seed=0),
        progress=False,
    ).head
    tested = np.isin(cv.recordings, [r for r, f in folds.items() if f == 0])
    assert np.allclose(cv.logits[tested], train.predict_logits(head, fold.split("test")[0]))
    prior = pipeline.cross_validated_prior(run, folds)
    trained_on = np.isin(run.examples.table["recording"], [r for r, f in folds.items() if f in (2, 3)])
    assert np.allclose(prior.scores[tested][0], decisions.label_frequency(run.examples.targets[trained_on]))
    with pytest.raises(ValueError, match="no split given"):
        run.with_splits({0: "train"})


def test_a_seed_another_process_is_embedding_is_taken_last_and_the_runs_are_the_same(
    tree, monkeypatch, tmp_path
):
    import threading

    from instrid import cache
    from instrid.files import cache_dir
    from instrid.models import embeddings

    sizes = dict(train_examples=4, validation_examples=2, test_examples=2, weights=None, progress=False)
    alone = pipeline.prepare_seeds(tree, [0, 1, 2], **sizes)  # one process, in order, into this cache
    monkeypatch.setenv("INSTRID_CACHE", str(tmp_path / "beside"))
    monkeypatch.setattr(pipeline, "_SEGMENTS", {})
    bare = pipeline.prepare(tree, seed=0, embed=False, **sizes)
    first_key, _ = embeddings.cache_key(bare.dataset, bare.examples, bare.model, batch_size=64)
    computed, holding, release = [], threading.Event(), threading.Event()
    compute = embeddings._compute

    def recorded(dataset, examples, model, folder, key, *rest):
        out = compute(dataset, examples, model, folder, key, *rest)
        computed.append(key)
        if len(computed) == 2:  # the other seeds are done: the other process finishes seed 0
            release.set()
        return out

    def other_process():  # holds seed 0's entry as a notebook computing it would
        with cache.entry_lock(cache_dir() / "embeddings" / first_key):
            holding.set()
            release.wait(30)

    monkeypatch.setattr(embeddings, "_compute", recorded)
    holder = threading.Thread(target=other_process)
    holder.start()
    holding.wait(30)
    runs = pipeline.prepare_seeds(tree, [0, 1, 2], **sizes)
    holder.join()
    assert computed[-1] == first_key and len(computed) == 3  # seeds 1 and 2 first, then seed 0
    assert [r.seed for r in runs] == [0, 1, 2]
    for mine, theirs in zip(runs, alone):
        np.testing.assert_array_equal(mine.embeddings, theirs.embeddings)
        assert mine.examples.table.equals(theirs.examples.table)


def test_recipes_give_prepare_and_the_head_what_the_notebooks_passed_by_hand():
    from instrid.study import recipes

    assert recipes.REPORT.model() == dict(
        front_end="report_spectrogram", backbone="resnet18", weights="auto", head="report_code"
    )
    assert recipes.REPORT.training() == dict(
        loss="iou_batch", optimizer="sgd", lr=1e-3, lr_gamma=0.5, standardize=False, hidden=0
    )
    assert {k: v for k, v in vars(train.TrainConfig()).items() if k in recipes.REPORT.training()} == (
        recipes.REPORT.training()
    )  # the report's recipe is TrainConfig's default, the report code's
    assert pipeline.CORRECTED == dict(
        front_end="log_mel", backbone="resnet18", weights="auto", head="report_text"
    )
    assert recipes.CORRECTED.training() == dict(
        loss="bce", optimizer="adam", lr=1e-3, lr_gamma=1.0, standardize=True, hidden=0
    )
    assert pipeline.LISTENING == pipeline.musicnn_candidate("MTT_musicnn", "pooled")
    assert pipeline.LISTENING["front_end_options"] == {"crop_samples": 10_240, "window": "segment"}
    assert recipes.LISTENING.training() == recipes.CORRECTED.training()
    assert recipes.LISTENING_REPORT_TRAINING.training() == recipes.REPORT.training()
    assert recipes.LISTENING_REPORT_TRAINING.model() == recipes.LISTENING.model()
    assert (
        recipes.CORRECTED.but(weights=None).model()["weights"] is None and recipes.CORRECTED.weights == "auto"
    )
    assert recipes.REPORT.but(batch_norm="batch").model()["batch_norm"] == "batch"
