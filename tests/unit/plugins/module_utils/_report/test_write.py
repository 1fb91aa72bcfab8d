"""Writing the reports: every format, atomically, idempotently, nothing in check mode."""

import json
import os
import stat

import pytest

from ansible_collections.xmpp.encryption.plugins.module_utils._report import write as report_write
from ansible_collections.xmpp.encryption.plugins.module_utils._report.document import (
    ReportError,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._report.write import (
    FORMATS,
    write_reports,
)
from ansible_collections.xmpp.encryption.tests.unit.support.builders import report as builder


def test_writes_every_format_and_reports_the_paths(tmp_path):
    doc = builder.document()
    out = write_reports(doc, tmp_path / "reports")
    assert set(out.paths) == set(FORMATS)
    assert out.changed == tuple(FORMATS)
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == [
        "report.html",
        "report.json",
        "report.junit.xml",
        "report.md",
    ]
    assert json.loads((tmp_path / "reports" / "report.json").read_text()) == doc
    mode = stat.S_IMODE(os.stat(out.paths["html"]).st_mode)
    assert mode == 0o644


def test_same_content_is_not_rewritten(tmp_path):
    doc = builder.document()
    first = write_reports(doc, tmp_path)
    inode = os.stat(first.paths["json"]).st_ino
    again = write_reports(doc, tmp_path)
    assert again.changed == ()
    assert os.stat(first.paths["json"]).st_ino == inode
    newer = builder.document(started="2025-06-01T10:00:01Z")
    assert set(write_reports(newer, tmp_path).changed) == set(FORMATS)


def test_check_mode_computes_but_writes_nothing(tmp_path):
    target = tmp_path / "not-yet"
    out = write_reports(builder.document(), target, ["json", "html"], check_mode=True)
    assert out.changed == ("json", "html")
    assert out.paths["json"] == str(target / "report.json")
    assert not target.exists()


def test_a_failed_write_leaves_the_old_report_and_no_temporary_file(tmp_path, monkeypatch):
    doc = builder.document()
    write_reports(doc, tmp_path, ["json"])
    old = (tmp_path / "report.json").read_bytes()

    def broken_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(report_write.os, "fsync", broken_fsync)
    with pytest.raises(ReportError, match="No space left"):
        write_reports(builder.document(verdict="pass"), tmp_path, ["json"])
    assert (tmp_path / "report.json").read_bytes() == old
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_reader_never_sees_a_partial_file(tmp_path, monkeypatch):
    """While the new content is being written, the path still holds the old report whole."""
    doc = builder.document()
    write_reports(doc, tmp_path, ["json"])
    path = tmp_path / "report.json"
    seen = []
    real_fsync = os.fsync

    def watching_fsync(fd):
        seen.append(json.loads(path.read_text()))  # must parse: old report, complete
        real_fsync(fd)

    monkeypatch.setattr(report_write.os, "fsync", watching_fsync)
    write_reports(builder.document(verdict="pass"), tmp_path, ["json"])
    assert seen == [doc]
    assert json.loads(path.read_text())["verdict"] == "pass"


@pytest.mark.parametrize("name", ["", "../x", "a/b", ".."])
def test_report_name_must_be_a_plain_file_name(tmp_path, name):
    with pytest.raises(ReportError, match="plain file name"):
        write_reports(builder.document(), tmp_path, name=name)


def test_unknown_format_is_refused(tmp_path):
    with pytest.raises(ReportError, match="unknown report format 'pdf'"):
        write_reports(builder.document(), tmp_path, ["json", "pdf"])
    assert list(tmp_path.iterdir()) == []
