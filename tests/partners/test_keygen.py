"""The partner alone holds its adapter's private key (issue 8, item 1): it makes the pair with
`python -m afx_sdk.keygen`, and AFX registers only public keys, never generating a pair."""

import inspect
import io
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from afx_sdk import keygen, signing
from core.errors import Invalid
from partners.choices import PartnerKind
from partners.models import AdapterKey, Partner
from partners.services import keys
from tests import factories


def test_keygen_writes_the_private_key_owner_only_and_prints_the_public_key(tmp_path):
    path = tmp_path / "adapter.key"
    out, err = io.StringIO(), io.StringIO()
    assert keygen.main([str(path)], stdout=out, stderr=err) == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    private_key = signing.load_private_key(path.read_text())
    assert out.getvalue() == signing.public_key_text(private_key) + "\n"
    assert signing.private_key_text(private_key) not in out.getvalue() + err.getvalue()


def test_keygen_never_overwrites_a_key_file(tmp_path):
    path = tmp_path / "adapter.key"
    path.write_text("an earlier key\n")
    err = io.StringIO()
    assert keygen.main([str(path)], stdout=io.StringIO(), stderr=err) == 1
    assert path.read_text() == "an earlier key\n" and "not overwritten" in err.getvalue()


def test_keygen_to_standard_output_prints_the_bare_key_and_warns(capsys):
    """With `-`, standard output is the key alone, as a secret store reads it: no prefix."""
    out, err = io.StringIO(), io.StringIO()
    assert keygen.main(["-"], stdout=out, stderr=err) == 0
    assert out.getvalue().count("\n") == 1 and "=" not in out.getvalue()
    private_key = signing.load_private_key(out.getvalue())
    assert "Warning" in err.getvalue() and signing.public_key_text(private_key) in err.getvalue()


def test_importing_keygen_alone_loads_nothing_of_the_gateway(tmp_path):
    """A partner's machine has the SDK and nothing else: importing `afx_sdk.keygen` from a copy
    of `afx_sdk` alone must not pull in Django or any gateway app."""
    shutil.copytree(Path(keygen.__file__).parent, tmp_path / "afx_sdk")
    probe = (
        "import sys, afx_sdk.keygen; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'django', 'partners', 'gateway', 'api', 'audit'}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert done.stdout.strip() == "[]"
    assert afx_sdk_origin(tmp_path) == str(tmp_path / "afx_sdk" / "keygen.py")


def afx_sdk_origin(directory: Path) -> str:
    """Which `afx_sdk.keygen` a fresh interpreter in `directory` imports (the copy, not the tree)."""
    probe = "import afx_sdk.keygen; print(afx_sdk.keygen.__file__)"
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=directory,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    return done.stdout.strip()


def test_keygen_runs_as_a_module_and_imports_nothing_of_the_gateway(tmp_path):
    path = tmp_path / "k"
    done = subprocess.run(
        [sys.executable, "-m", "afx_sdk.keygen", str(path)],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin"},  # no DJANGO_SETTINGS_MODULE: a partner's machine
    )
    assert done.stdout.strip() == signing.public_key_text(signing.load_private_key(path.read_text()))
    source = inspect.getsource(keygen)
    assert not any(
        f"import {app}" in source or f"from {app}" in source for app in ("django", "partners", "gateway")
    )


@pytest.fixture
def bank(db) -> Partner:
    return factories.answering_partner("bank", kind=PartnerKind.BANK, answers=())


def test_adapter_key_create_requires_a_public_key(bank):
    held = AdapterKey.objects.count()
    with pytest.raises(TypeError):
        keys.adapter_key_create(actor=factories.SYSTEM, partner_code=bank.code)  # type: ignore[call-arg]
    with pytest.raises(Invalid):
        keys.adapter_key_create(actor=factories.SYSTEM, partner_code=bank.code, public_key="")
    assert AdapterKey.objects.count() == held
    assert not hasattr(keys, "IssuedKey")  # nothing the gateway returns carries a private key


def test_the_world_plays_the_partner_and_registers_only_the_public_half(bank):
    key, private_key = factories.adapter_key(bank, "rotation")
    assert key.public_key == signing.public_key_text(signing.load_private_key(private_key))
    assert private_key not in str(AdapterKey.objects.filter(pk=key.pk).values().get())
