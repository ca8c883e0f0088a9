"""A run's pictures: the curves drawn are the log's numbers at the right epochs, and the confusion
matrix carries the label names and the counts."""

import csv

from PIL import Image

from zoo.run_plots import confusion_figure, curves, plot_curves, read_log, training_log, write_run_plots

COLUMNS = ["epoch", "step", "lr-AdamW", "train/loss", "val/loss", "val/acc", "test/acc"]
ROWS = [  # 10 steps an epoch, training logged every 5, validation at each epoch's end, then the test
    [0, 4, 0.001, 2.0, "", "", ""],
    [0, 9, 0.002, 1.6, "", "", ""],
    [0, 9, "", "", 1.5, 0.4, ""],
    [1, 14, 0.002, 1.2, "", "", ""],
    [1, 19, 0.001, 1.0, "", "", ""],
    [1, 19, "", "", 1.1, 0.6, ""],
    [2, 20, "", "", "", "", 0.61],
]


def write_log(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        writer.writerows(ROWS)
    return path


def test_curves_place_steps_within_their_epochs_and_keep_the_tests_row_out(tmp_path):
    panels = curves(read_log(write_log(tmp_path / "metrics.csv")))
    assert set(panels) == {"loss", "metrics", "lr"}
    assert panels["loss"]["train/loss (steps)"] == ([0.5, 1.0, 1.5, 2.0], [2.0, 1.6, 1.2, 1.0])
    assert panels["loss"]["train/loss (epoch mean)"] == ([1.0, 2.0], [1.8, 1.1])
    assert panels["loss"]["val/loss"] == ([1.0, 2.0], [1.5, 1.1])
    assert panels["metrics"] == {"val/acc": ([1.0, 2.0], [0.4, 0.6])}  # test/acc is no curve
    assert panels["lr"]["lr-AdamW"][1] == [0.001, 0.002, 0.002, 0.001]


def test_a_run_folder_gets_its_curves_from_the_training_log_and_a_labelled_confusion_matrix(tmp_path):
    write_log(tmp_path / "csv" / "version_0" / "metrics.csv")
    (tmp_path / "csv" / "version_1").mkdir()
    (tmp_path / "csv" / "version_1" / "metrics.csv").write_text("epoch,step,test/acc\n0,0,0.61\n")  # a re-export's test
    assert training_log(tmp_path) == tmp_path / "csv" / "version_0" / "metrics.csv"
    written = write_run_plots(tmp_path, {"recipe": "r.yaml", "confusion_matrix": [[5, 1], [2, 7]]}, ["cat", "dog"])
    assert written == [tmp_path / "curves.png", tmp_path / "confusion_matrix.png"]
    assert Image.open(written[0]).size[0] > 3 * Image.open(written[0]).size[1] / 2  # three panels side by side
    assert write_run_plots(tmp_path / "csv" / "version_1", {}, None) == []  # no training log, no matrix


def test_the_confusion_matrix_names_the_labels_and_writes_each_count():
    figure = confusion_figure([[5, 1], [2, 7]], ["cat", "dog"])
    ax = figure.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["cat", "dog"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["cat", "dog"]
    assert sorted(t.get_text() for t in ax.texts) == ["1", "2", "5", "7"]
    assert "15 examples" in ax.get_title()


def test_plot_curves_draws_nothing_for_an_empty_log(tmp_path):
    (tmp_path / "metrics.csv").write_text("epoch,step\n")
    assert plot_curves(tmp_path / "metrics.csv", tmp_path / "curves.png") == {}
    assert not (tmp_path / "curves.png").exists()
