"""The doctor (`python -m helpers.doctor`): every check says [OK] in the course's own environment and [FAIL] with a
fix when something is wrong."""

import subprocess
import sys

import pytest

from helpers import doctor


@pytest.mark.slow
def test_the_doctor_passes_in_the_pinned_environment():
    run = subprocess.run([sys.executable, "-m", "helpers.doctor"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    assert lines[-1] == "every check passed"
    assert all(line.startswith("[OK] ") for line in lines[:-1]), run.stdout
    for needed in ("Python 3.", "torch ", "fastai ", "device: cpu", "cache folder", "data (MNIST_SOURCE=embedded)"):
        assert any(needed in line for line in lines), f"no line about {needed!r}"
    pinned = doctor.pins(doctor.REQUIREMENTS.read_text().splitlines())
    tools = doctor.pins(doctor.DEV_REQUIREMENTS.read_text().splitlines())  # installed here: pytest runs this test
    assert sum(line.startswith("[OK] ") for line in lines) == 4 + len(pinned) + len(tools)


def test_the_contributors_tools_are_checked_where_installed_and_skipped_in_a_learners_environment(tmp_path):
    dev = tmp_path / "requirements-dev.txt"
    dev.write_text("-r requirements.txt\nno-such-tool-here==1.0\nanother-missing-tool==2.0\n")
    [(status, text)] = doctor.check_contributor_packages(dev)
    assert status == "SKIP" and "learner" in text
    dev.write_text(f"-r requirements.txt\nno-such-tool-here==1.0\npytest=={pytest.__version__}\n")
    results = dict((text.split()[0], status) for status, text in doctor.check_contributor_packages(dev))
    assert results == {"no-such-tool-here:": "FAIL", "pytest": "OK"}


def test_a_version_other_than_the_pinned_one_fails_and_says_how_to_fix_it(tmp_path):
    requirements = tmp_path / "requirements.txt"
    pinned = f"# a comment\ntorch==1.0.0\nno-such-package-here==1.0\npytest=={pytest.__version__}\n"
    requirements.write_text(pinned)
    results = dict((text.split()[0], status) for status, text in doctor.check_packages(requirements))
    assert results == {"torch": "FAIL", "no-such-package-here:": "FAIL", "pytest": "OK"}
    assert "make clean" in " ".join(text for _, text in doctor.check_packages(requirements))
    [(status, text)] = doctor.check_packages(tmp_path / "absent.txt")
    assert status == "SKIP" and "Colab" in text
    requirements.write_text("torch>=2\n")
    with pytest.raises(ValueError, match="not an exact pin"):
        doctor.check_packages(requirements)


def test_a_local_build_of_the_pinned_version_passes_and_names_compare_as_pip_compares_them(tmp_path, monkeypatch):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("Torch==2.14.1\nJupyter_Client==8.10\n")
    installed = {"torch": "2.14.1+cpu", "jupyter-client": "8.10.0"}  # a CPU build; 8.10 is 8.10.0
    monkeypatch.setattr(doctor.importlib.metadata, "version", lambda name: installed[name])
    assert [status for status, _ in doctor.check_packages(requirements)] == ["OK", "OK"]
    installed["torch"] = "2.14.10"  # not 2.14.1, though it starts with it
    assert [status for status, _ in doctor.check_packages(requirements)] == ["FAIL", "OK"]


@pytest.mark.parametrize("line", ["torch>=2", "torch", "torch==2.14.1,<3", "torch==2.14.1; sys_platform == 'linux'",
                                  "torch @ https://example.org/torch-2.14.1.whl", "torch=2.14.1"])
def test_anything_but_an_exact_pin_is_refused(line):
    with pytest.raises(ValueError, match="not an exact pin"):
        doctor.pins([line])


def test_bad_settings_fail_with_the_setting_named(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_DEVICE", "gpu")
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path / "a-file"))
    (tmp_path / "a-file").write_text("not a folder")
    monkeypatch.setenv("MNIST_SOURCE", str(tmp_path / "missing"))
    assert doctor.check_device()[0] == "FAIL" and "COURSE_DEVICE" in doctor.check_device()[1]
    assert doctor.check_cache()[0] == "FAIL" and "COURSE_CACHE" in doctor.check_cache()[1]
    assert doctor.check_data()[0] == "FAIL" and "MNIST_SOURCE" in doctor.check_data()[1]
    assert doctor.main() == 1
    assert capsys.readouterr().out.splitlines()[-1] == "3 check(s) failed"


def test_an_unsupported_python_fails(monkeypatch):
    monkeypatch.setattr(doctor, "SUPPORTED_PYTHONS", ((3, 99),))
    status, text = doctor.check_python()
    assert status == "FAIL" and "3.11 to 3.13" in text
