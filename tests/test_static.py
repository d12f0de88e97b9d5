"""`collectstatic` with the production storage (hashed, compressed names from a manifest).

Tests serve static files without the manifest (`STATIC_MANIFEST=0` in pyproject.toml), so
this is where a file the manifest storage cannot process shows up: a vendored script or
stylesheet that names a source map which is missing, for example.
"""

from __future__ import annotations

import json

from django.core.management import call_command
from whitenoise.compress import Compressor
from whitenoise.storage import CompressedManifestStaticFilesStorage

MANIFEST_STORAGE = "whitenoise.storage.CompressedManifestStaticFilesStorage"


def test_collectstatic_writes_the_manifest(settings, tmp_path, monkeypatch):
    # Everything the production storage does but the gzip and Brotli files themselves:
    # Brotli on the vendored API-docs bundles took most of a minute, and tests nothing of ours.
    monkeypatch.setattr(
        CompressedManifestStaticFilesStorage,
        "create_compressor",
        lambda self, **options: Compressor(**options, use_gzip=False, use_brotli=False),
    )
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = settings.STORAGES | {"staticfiles": {"BACKEND": MANIFEST_STORAGE}}

    call_command("collectstatic", interactive=False, verbosity=0)

    manifest = json.loads((settings.STATIC_ROOT / "staticfiles.json").read_text(encoding="utf-8"))
    assert "admin/css/base.css" in manifest["paths"]
    assert (settings.STATIC_ROOT / manifest["paths"]["admin/css/base.css"]).is_file()
