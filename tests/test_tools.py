"""The project's tooling: the mutation list stays in step with the code; the robustness runner checks its input; the
glossary page reads each lesson's glossary."""

import json

import pytest
import torch

from tools import mutations, robust
from tools.variants import VARIANTS, shell_prefix


def test_every_mutation_changes_code_that_occurs_exactly_once():
    assert len(mutations.MUTATIONS) >= 20
    for m in mutations.MUTATIONS:
        assert m.file.startswith(("helpers/", "benchmarks/")), m.file
        text = (mutations.ROOT / m.file).read_text()
        assert text.count(m.old) == 1, f"{m.file}: {m.bug}: its code must occur exactly once"
        assert m.old != m.new and m.tests.startswith("tests/")


def test_apply_refuses_code_that_is_not_there_once(tmp_path):
    (tmp_path / "helpers").mkdir()
    (tmp_path / "helpers" / "x.py").write_text("a = 1\na = 1\n")
    twice = mutations.Mutation("helpers/x.py", "a = 1", "a = 2", "twice", "tests/")
    with pytest.raises(ValueError, match="2 times"):
        mutations.apply(tmp_path, twice)
    once = mutations.Mutation("helpers/x.py", "a = 1\na = 1", "a = 2", "once", "tests/")
    mutations.apply(tmp_path, once)
    assert (tmp_path / "helpers" / "x.py").read_text() == "a = 2\n"


@pytest.mark.parametrize("argv", [["--seeds", "one"], ["--variants", "native,arm"]])
def test_robust_names_a_bad_setting(argv, capsys):
    with pytest.raises(SystemExit) as stop:
        robust.main(argv)
    assert stop.value.code == 2
    assert argv[0] in capsys.readouterr().err


def test_variants_cap_the_three_libraries():
    assert shell_prefix("native") == ""
    for name in ("no-simd", "avx2"):
        assert set(VARIANTS[name]) == {"ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA", "MKL_ENABLE_INSTRUCTIONS"}
        assert shell_prefix(name).count("=") == 3


def test_a_lesson_glossary_ends_at_the_next_heading_and_refuses_a_malformed_line(tmp_path):
    from tools.glossary import lesson_glossary

    cell = {"cell_type": "markdown", "metadata": {},
            "source": ["## Glossary\n", "\n", "- **epoch**: one pass over the training data,\n",
                       "  one step per batch.\n", "\n", "## Further research\n", "\n", "- Try another pair.\n"]}
    path = tmp_path / "01_x.ipynb"
    path.write_text(json.dumps({"cells": [cell]}))
    assert lesson_glossary(path) == [("epoch", "one pass over the training data, one step per batch.")]
    cell["source"][2] = "- epoch: one pass\n"
    path.write_text(json.dumps({"cells": [cell]}))
    with pytest.raises(ValueError, match="glossary line not in the form"):
        lesson_glossary(path)


def test_the_larger_layout_is_built_from_the_official_test_set_with_the_data_layers_writer(tmp_path, monkeypatch):
    "`make robust`'s run on twice the data: 8,000 training and 2,000 validation images, and a clear error without them."
    import numpy as np

    from tests.test_data import write_idx

    monkeypatch.setattr(robust, "LARGER_LAYOUT", {"training": (0, 8), "testing": (8, 10)})
    labels = np.arange(10, dtype=np.uint8)
    idx = write_idx(tmp_path / "idx", "t10k", np.zeros((10, 28, 28), np.uint8), labels)
    folder = robust.larger_layout(idx)
    assert sorted(p.parent.name for p in (folder / "training").rglob("*.png")) == [str(d) for d in range(8)]
    assert sorted(p.parent.name for p in (folder / "testing").rglob("*.png")) == ["8", "9"]
    with pytest.raises(FileNotFoundError, match="official MNIST test set"):
        robust.larger_layout(tmp_path / "absent")



@pytest.mark.slow
def test_the_other_layout_holds_mlxtends_images_split_the_other_way_round_with_junk_beside_them(embedded):
    "`make robust`'s run on other data: 450 training and 50 validation images per digit, and files that are no image."
    from helpers.data import image_files, load_digits

    folder = robust.other_layout()
    for split, (start, stop) in robust.OTHER_LAYOUT.items():
        assert all(len(image_files(folder / split / str(d))) == stop - start for d in range(10))
    assert all((folder / "training" / "2" / name).exists() for name in robust.JUNK)
    other_valid, _ = load_digits(folder, split="testing")
    embedded_train, _ = load_digits(embedded)
    assert torch.equal(other_valid[:50], embedded_train[:50])  # each digit's first 50 images: the 2s here
