"""The package as the image installs it: a wheel built from exactly the files the Dockerfile
copies, installed into a fresh virtualenv (its dependencies borrowed from this one, so the
test needs no network), then `alongside migrate`, `alongside flows` and one conversation turn
run from that install, away from the checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
COMMAND_SECONDS = 120


def build_stage_copies(dockerfile: Path) -> list[str]:
    """The sources of every COPY in the Dockerfile's first (build) stage."""
    sources: list[str] = []
    stages = 0
    for line in dockerfile.read_text().splitlines():
        words = line.split()
        if words[:1] == ["FROM"]:
            stages += 1
        elif stages == 1 and words[:1] == ["COPY"] and not words[1].startswith("--"):
            sources.extend(words[1:-1])
    return sources


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The `alongside` script of a fresh virtualenv holding the wheel."""
    work = tmp_path_factory.mktemp("package")
    source = work / "src"
    source.mkdir()
    for name in build_stage_copies(ROOT / "Dockerfile"):
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(path, source / name)
    pip = [sys.executable, "-m", "pip", "--quiet", "--disable-pip-version-check"]
    wheels = work / "wheels"
    subprocess.run([*pip, "wheel", "--no-deps", "-w", str(wheels), str(source)], check=True)
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    (wheel,) = wheels.glob("alongside-*.whl")
    subprocess.run([*pip, "--python", str(python), "install", "--no-deps", str(wheel)], check=True)
    # The dependencies, borrowed: this virtualenv's site-packages after the fresh one's own.
    target = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (Path(target) / "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv / "bin" / "alongside"


def run(alongside: Path, tmp_path: Path, *args: str, stdin: str = "") -> str:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ALONGSIDE_", "TELEGRAM_", "PYTHON"))
    }
    env["ALONGSIDE_DATABASE_URL"] = f"sqlite:///{tmp_path / 'alongside.db'}"
    result = subprocess.run(
        [str(alongside), *args],
        cwd=tmp_path,  # away from the checkout, so only the installed package can be imported
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=COMMAND_SECONDS,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout + result.stderr


def test_the_installed_package_migrates_checks_its_flows_and_talks(
    installed: Path, tmp_path: Path
) -> None:
    assert "review" in build_stage_copies(ROOT / "Dockerfile")  # bot.cli imports it
    assert "database schema is up to date" in run(installed, tmp_path, "migrate")
    assert "welcome:" in run(installed, tmp_path, "flows")
    assert "keep our conversation" in run(
        installed, tmp_path, "chat", "--as", "t", stdin="/start\n"
    )
    where = subprocess.run(
        [str(installed.parent / "python"), "-c", "import bot, review; print(review.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert where.startswith(str(installed.parents[1]))  # the install, not the checkout
