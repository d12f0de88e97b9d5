"""`collectstatic` with the production storage (hashed, compressed names from a manifest).

Tests serve static files without the manifest (`STATIC_MANIFEST=0` in pyproject.toml), so
this is where a file the manifest storage cannot process shows up: a vendored script or
stylesheet that names a source map which is missing, for example.
"""

from __future__ import annotations

import json

from django.core.management import call_command

MANIFEST_STORAGE = "whitenoise.storage.CompressedManifestStaticFilesStorage"


def test_collectstatic_writes_the_manifest(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = settings.STORAGES | {"staticfiles": {"BACKEND": MANIFEST_STORAGE}}

    call_command("collectstatic", interactive=False, verbosity=0)

    manifest = json.loads((settings.STATIC_ROOT / "staticfiles.json").read_text(encoding="utf-8"))
    assert "admin/css/base.css" in manifest["paths"]
    assert (settings.STATIC_ROOT / manifest["paths"]["admin/css/base.css"]).is_file()
