"""The built wheel is a working app: templates, static files, translations, migrations and the
demo's data tables travel as package data, so an installed (not editable) copy migrates a
database, renders pages and can load the demo data."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow

# Run inside the throwaway environment: nothing of the checkout is importable there.
_SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path

    import matchmaker
    from matchmaker import create_app, migrate

    site = Path(sys.argv[1])
    assert Path(matchmaker.__file__).resolve().is_relative_to(site), matchmaker.__file__
    url = f"sqlite:///{site.parent / 'app.sqlite3'}"
    migrate.upgrade(url)
    app = create_app({
        "SECRET_KEY": "wheel-test-secret-of-at-least-32-chars",
        "DATABASE_URL": url,
        "SQLALCHEMY_ENGINES": {"default": url},
        "QUEUE_DATABASE": str(site.parent / "jobs.sqlite3"),
    })
    assert Path(app.config["INDEX_DIR"]).is_relative_to(Path(app.instance_path))
    client = app.test_client()
    english = client.get("/auth/login", headers={"Accept-Language": "en"})
    chinese = client.get("/auth/login", headers={"Accept-Language": "zh-CN"})
    static = client.get("/static/app.css")
    print(english.status_code, chinese.status_code, static.status_code)
    print("Password" in english.get_data(as_text=True), "密码" in chinese.get_data(as_text=True))
    # The demo's tables are JSON package data, read when `flask demo-data` imports them.
    from matchmaker.demo.tables import FACILITIES, INVESTORS, SURNAMES
    print(len(FACILITIES), len(INVESTORS), SURNAMES[0] == ("王", "wang"))
    """
)


def test_installed_wheel_migrates_and_renders_the_login_page(tmp_path: Path) -> None:
    # Built from a copy of what the wheel is made of: setuptools writes a build/ folder beside
    # the sources, which must not land in the checkout.
    source = tmp_path / "source"
    skip = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for part in ("matchmaker", "templates"):
        shutil.copytree(ROOT / part, source / part, symlinks=True, ignore=skip)
    for part in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / part, source / part)
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(dist), str(source)],
        check=True,
    )
    (wheel,) = dist.glob("matchmaker-*.whl")
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site),
         str(wheel)],
        check=True,
    )
    # The dependencies come from this venv's site-packages, put on the path after the installed
    # wheel; -I -S keep the checkout, its editable install and every .pth file off the path.
    dependencies = sysconfig.get_paths()["purelib"]
    # Its own defaults, not the checkout's settings (`make` exports MATCHMAKER_DATA_DIR).
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MATCHMAKER_")}
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c",
         f"import sys; sys.path[:0] = [{str(site)!r}, {dependencies!r}]\n" + _SCRIPT, str(site)],
        capture_output=True, text=True, cwd=tmp_path, env=environ, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["200", "200", "200", "True", "True", "8", "20", "True"]
