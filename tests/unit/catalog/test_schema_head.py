"""The migration chain and the quick check that a catalog is already at its head."""

from __future__ import annotations

import re
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import text

from catalog.db import make_engine
from catalog.schema import _at_head, alembic_config, head_revision, migrate


def test_each_file_is_named_by_its_revision_and_revises_the_one_before() -> None:
    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    revisions = sorted(scripts.walk_revisions(), key=lambda script: script.revision)
    assert scripts.get_current_head() == head_revision()
    previous = None
    for script in revisions:
        assert script.path is not None
        assert re.match(rf"^{script.revision}_\w+\.py$", Path(script.path).name)
        assert script.down_revision == previous
        previous = script.revision


def test_a_catalog_at_head_is_known_and_an_older_one_is_upgraded(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'catalog.db'}"
    assert not _at_head(url)  # no catalog yet
    with make_engine(url).begin() as connection:
        config = alembic_config(url)
        config.attributes["connection"] = connection
        command.upgrade(config, "0009")
    assert not _at_head(url)
    migrate(url)  # the quick check says no, so Alembic takes it the rest of the way
    assert _at_head(url)
    with make_engine(url).connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == (
            head_revision()
        )
