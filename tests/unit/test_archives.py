"""Archives are checked from their structure, at a cost bounded by their size."""

from __future__ import annotations

import dataclasses
import gzip
import io
import random
import struct
import tarfile
import time
import tracemalloc
import zipfile

import pytest

from packhouse.domain import archives
from packhouse.domain.archives import read_core_metadata
from packhouse.domain.filenames import DistFilename
from packhouse.errors import InvalidUpload
from tests.builders import (
    Dist,
    ZipMember,
    build_zip,
    deflate_bomb_wheel,
    long_name_sdist,
    make_sdist,
    make_tar,
    make_wheel,
    many_members_sdist,
    pax_records_sdist,
    sdist_with_members,
    tar_bomb_sdist,
    tar_member,
    wheel_members,
    zip_bomb_wheel,
)

DIST = Dist("foo-bar", "1.0")
WHEEL = DistFilename.parse(DIST.wheel_filename)
SDIST = DistFilename.parse(DIST.sdist_filename)
ZIP_SDIST = DistFilename.parse("foo_bar-1.0.zip")


def read(data: bytes, dist: DistFilename = WHEEL, *, max_size: int = 1 << 20) -> bytes:
    return read_core_metadata(io.BytesIO(data), dist, max_size=max_size)


def refused(data: bytes, message: str, dist: DistFilename = WHEEL) -> InvalidUpload:
    with pytest.raises(InvalidUpload, match=message) as caught:
        read(data, dist)
    assert "\n" not in caught.value.message
    return caught.value


def cpu_seconds(data: bytes, dist: DistFilename) -> float:
    start = time.process_time()
    with pytest.raises(InvalidUpload):
        read(data, dist)
    return time.process_time() - start


# ---------------------------------------------------------------- sound archives


def test_valid_archives_give_their_metadata_byte_for_byte() -> None:
    assert read(make_wheel(DIST)) == DIST.metadata()
    assert read(make_sdist(DIST), SDIST) == DIST.metadata()
    assert read(build_zip(wheel_members(DIST))) == DIST.metadata()


def _rewrite(data: bytes, **options: object) -> bytes:
    """The same entries written again by zipfile, with ZipFile.open options."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            target = zipfile.ZipInfo(info.filename, info.date_time)
            target.compress_type = zipfile.ZIP_DEFLATED
            with dst.open(target, "w", **options) as member:  # type: ignore[arg-type]
                member.write(src.read(info))
    return out.getvalue()


class _Unseekable(io.RawIOBase):
    """A write-only stream: zipfile then writes data descriptors after each entry."""

    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, b: bytes) -> int:  # type: ignore[override]
        self.data += b
        return len(b)


def test_zip64_entries_and_data_descriptors_are_sound() -> None:
    assert read(_rewrite(make_wheel(DIST), force_zip64=True)) == DIST.metadata()
    for force_zip64 in (False, True):
        stream = _Unseekable()
        with (
            zipfile.ZipFile(io.BytesIO(make_wheel(DIST))) as src,
            zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as dst,
        ):
            for info in src.infolist():
                with dst.open(info.filename, "w", force_zip64=force_zip64) as member:
                    member.write(src.read(info))
        assert read(bytes(stream.data)) == DIST.metadata()


def test_a_zip_sdist_gives_its_pkg_info() -> None:
    members = [ZipMember.of("foo_bar-1.0/PKG-INFO", DIST.metadata())]
    assert read(build_zip(members), ZIP_SDIST) == DIST.metadata()


# ---------------------------------------------------------------- bombs: refused, cheaply


def test_the_bzip2_bomb_wheel_is_refused_in_well_under_100_ms() -> None:
    bomb = zip_bomb_wheel(DIST)  # 8 entries of 256 MiB, a few kB in all
    assert len(bomb) < 5_000
    refused(bomb, "compression method 12; only stored and deflated")
    assert cpu_seconds(bomb, WHEEL) < 0.1


def test_a_deflate_bomb_is_refused_by_pypis_expansion_rule() -> None:
    bomb = deflate_bomb_wheel(DIST)
    refused(bomb, "more than 50 times its size")
    assert cpu_seconds(bomb, WHEEL) < 0.1


def test_a_tar_bomb_is_refused_after_a_bounded_amount_of_work() -> None:
    bomb = tar_bomb_sdist(DIST)  # 256 MiB of zeros in about 250 kB
    limit = archives.tar_expansion_limit(len(bomb))
    assert limit == 50 * len(bomb) < 16 * 1024 * 1024
    refused(bomb, f"expands to more than {limit} bytes", SDIST)
    # decompressing the ~13 MiB allowed costs ~15 ms here; 64 MiB cost ~60 ms, 256 MiB ~250 ms
    assert cpu_seconds(bomb, SDIST) < 0.2


def test_only_the_needed_entries_are_decompressed() -> None:
    # a wheel with a big deflated entry under the expansion limit: not decompressed at all
    big = ZipMember.of("foo_bar/data.bin", bytes(60 * 1024 * 1024))
    data = build_zip([*wheel_members(DIST), big])
    start = time.process_time()
    assert read(data) == DIST.metadata()
    assert time.process_time() - start < 0.02


def test_expansion_limit_counts_declared_sizes() -> None:
    assert archives.expansion_limit(1) == archives.EXPANSION_FREE_SIZE
    members = wheel_members(DIST)
    liar = dataclasses.replace(members[0], size=archives.EXPANSION_FREE_SIZE + 1)
    refused(build_zip([liar, *members[1:]]), "more than 50 times its size")


def test_too_many_entries_are_refused_before_they_are_parsed() -> None:
    data = bytearray(build_zip(wheel_members(DIST)))
    end = data.rfind(b"PK\x05\x06")
    struct.pack_into("<HH", data, end + 8, 0xFFFF - 1, 0xFFFF - 1)  # count in the end record
    refused(bytes(data), "central directory holds 4 entries, its end record 65534")
    many = archives.MAX_ENTRIES + 1
    # a ZIP64 end record can count more than 65535 entries
    zip64 = _with_zip64_end(build_zip(wheel_members(DIST)), entries=many)
    refused(zip64, f"it has {many} entries, more than {archives.MAX_ENTRIES}")


def _with_zip64_end(data: bytes, *, entries: int) -> bytes:
    end = data.rfind(b"PK\x05\x06")
    _sig, _d, _cd, _n, _t, size, offset, _c = struct.unpack_from("<4sHHHHIIH", data, end)
    record = struct.pack(
        "<4sQHHIIQQQQ", b"PK\x06\x06", 44, 45, 45, 0, 0, entries, entries, size, offset
    )
    locator = struct.pack("<4sIQI", b"PK\x06\x07", 0, end, 1)
    tail = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    return data[:end] + record + locator + tail


# ---------------------------------------------------------------- zip confusion


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("trailing", "data follows its end record"),
        ("leading", "precedes its first entry"),
        ("hidden", "does not list lies before entry"),
        ("local-name", "differs between its local header and directory"),
        ("local-size", "other sizes in its local header"),
        ("duplicate", "duplicate entries"),
        ("control-character", "control characters"),
        ("stored-size-lie", "declares two different sizes"),
    ],
)
def test_zip_confusions_are_refused(case: str, message: str) -> None:
    members = wheel_members(DIST)
    first, rest = members[0], members[1:]
    built = {
        "trailing": lambda: build_zip(members, after=b"PK\x03\x04 more"),
        "leading": lambda: build_zip(members, before=b"#!/bin/sh\n"),
        "hidden": lambda: build_zip(members, hidden=_local_entry("evil.pth", b"import os")),
        "local-name": lambda: build_zip([dataclasses.replace(first, local_name="evil.py"), *rest]),
        "local-size": lambda: _patch_local_crc(build_zip(members)),
        "duplicate": lambda: build_zip([first, first, *rest]),
        "control-character": lambda: build_zip([*members, ZipMember.of("a\x00b.py", b"")]),
        "stored-size-lie": lambda: build_zip(
            [*members, ZipMember("foo_bar/x", b"abc", 3000, 0, zipfile.ZIP_STORED)]
        ),
    }[case]()
    refused(built, message)


def _local_entry(name: str, data: bytes) -> bytes:
    one = build_zip([ZipMember.of(name, data, zipfile.ZIP_STORED)])
    return one[: one.find(b"PK\x01\x02")]


def _patch_local_crc(data: bytes) -> bytes:
    out = bytearray(data)
    struct.pack_into("<I", out, 14, struct.unpack_from("<I", out, 14)[0] ^ 1)
    return bytes(out)


def test_overlapping_entries_are_refused() -> None:
    data = bytearray(build_zip(wheel_members(DIST)))
    second = data.find(b"PK\x01\x02", data.find(b"PK\x01\x02") + 4)
    struct.pack_into("<I", data, second + 42, 0)  # the second entry points at the first's header
    refused(bytes(data), "overlaps the entry before it|differs between")


def test_compression_and_encryption_are_limited_to_what_pypi_accepts() -> None:
    members = wheel_members(DIST)
    lzma = dataclasses.replace(members[0], method=zipfile.ZIP_LZMA)
    refused(build_zip([lzma, *members[1:]]), "compression method 14")
    encrypted = bytearray(build_zip(members))
    for signature, flags_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = encrypted.find(signature)
        while at >= 0:
            struct.pack_into("<H", encrypted, at + flags_at, 0x801)
            at = encrypted.find(signature, at + 4)
    refused(bytes(encrypted), "is encrypted")


# ---------------------------------------------------------------- what a wheel must contain


@pytest.mark.parametrize("missing", ["METADATA", "WHEEL", "RECORD"])
def test_a_wheel_needs_metadata_wheel_and_record(missing: str) -> None:
    members = [m for m in wheel_members(DIST) if not m.name.endswith(f".dist-info/{missing}")]
    refused(build_zip(members), f"no foo_bar-1.0.dist-info/{missing} file")


def test_a_crc_error_in_a_needed_entry_is_refused() -> None:
    members = [
        dataclasses.replace(m, crc=m.crc ^ 1) if m.name.endswith("/WHEEL") else m
        for m in wheel_members(DIST)
    ]
    refused(build_zip(members), "Bad CRC-32")


def test_oversized_needed_entries_are_refused() -> None:
    with pytest.raises(InvalidUpload, match="METADATA is larger than 10 bytes"):
        read(make_wheel(DIST), max_size=10)
    members = [m for m in wheel_members(DIST) if not m.name.endswith("/RECORD")]
    record = ZipMember.of("foo_bar-1.0.dist-info/RECORD", b"")
    huge = dataclasses.replace(record, size=archives.MAX_RECORD_SIZE + 1)  # declared, not real
    noise = random.Random(0).randbytes(2 * 1024 * 1024)  # noqa: S311 - keeps it under the ratio
    filler = ZipMember.of("foo_bar/noise.bin", noise, zipfile.ZIP_STORED)
    refused(build_zip([*members, filler, huge]), "RECORD is larger than")


def test_two_matching_dist_info_folders_are_refused() -> None:
    extra = ZipMember.of("Foo_Bar-1.0.dist-info/METADATA", DIST.metadata())
    refused(build_zip([*wheel_members(DIST), extra]), "exactly one .dist-info folder")


# ---------------------------------------------------------------- tar members (PEP 706)


@pytest.mark.parametrize(
    ("member", "message"),
    [
        (tar_member("/etc/cron.d/evil"), "has an absolute path"),
        (tar_member("foo_bar-1.0/../../evil"), "outside the sdist's folder"),
        (
            tar_member("foo_bar-1.0/l", tarfile.SYMTYPE, linkname="../../etc"),
            "links to '../../etc'",
        ),
        (tar_member("foo_bar-1.0/l", tarfile.SYMTYPE, linkname="/etc/passwd"), "absolute path"),
        (tar_member("foo_bar-1.0/h", tarfile.LNKTYPE, linkname="../outside"), "links to"),
        (tar_member("foo_bar-1.0/h", tarfile.LNKTYPE, linkname="/etc/shadow"), "absolute path"),
        (tar_member("foo_bar-1.0/tty", tarfile.CHRTYPE), "device, FIFO or other special"),
        (tar_member("foo_bar-1.0/sda", tarfile.BLKTYPE), "device, FIFO or other special"),
        (tar_member("foo_bar-1.0/pipe", tarfile.FIFOTYPE), "device, FIFO or other special"),
    ],
    ids=[
        "absolute",
        "dotdot",
        "symlink-out",
        "symlink-abs",
        "hardlink-out",
        "hardlink-abs",
        "char-device",
        "block-device",
        "fifo",
    ],
)
def test_tar_members_the_data_filter_refuses_are_refused(
    member: tarfile.TarInfo, message: str
) -> None:
    error = refused(sdist_with_members(DIST, [(member, b"")]), message, SDIST)
    assert "data' filter (PEP 706)" in error.message
    assert repr(member.name) in error.message


def test_a_path_through_a_symlink_is_refused() -> None:
    link = tar_member("foo_bar-1.0/up", tarfile.SYMTYPE, linkname=".")
    below = tar_member("foo_bar-1.0/up/file.txt")
    refused(sdist_with_members(DIST, [(link, b""), (below, b"x")]), "lies below the symlink", SDIST)


def test_links_inside_the_sdist_are_fine() -> None:
    inside = [
        (tar_member("foo_bar-1.0/link.py", tarfile.SYMTYPE, linkname="foo_bar/__init__.py"), b""),
        (
            tar_member(
                "foo_bar-1.0/hard.py", tarfile.LNKTYPE, linkname="foo_bar-1.0/pyproject.toml"
            ),
            b"",
        ),
        (tar_member("foo_bar-1.0/docs/../README"), b"readme"),
    ]
    assert read(sdist_with_members(DIST, inside), SDIST) == DIST.metadata()


def test_a_truncated_or_trailing_garbage_sdist_is_refused() -> None:
    data = make_sdist(DIST)
    refused(data[: len(data) // 2], "not a valid .tar.gz", SDIST)
    refused(data + b"garbage", "not a valid .tar.gz", SDIST)


def test_a_link_through_an_earlier_symlink_is_resolved_as_extraction_would() -> None:
    # b -> . then c -> b/../..: on disk b/.. is the sdist's parent, so c points outside it
    up = tar_member("foo_bar-1.0/b", tarfile.SYMTYPE, linkname=".")
    out = tar_member("foo_bar-1.0/c", tarfile.SYMTYPE, linkname="b/../..")
    data = sdist_with_members(DIST, [(up, b""), (out, b"")])
    refused(data, r"'foo_bar-1.0/c' links to 'b/\.\./\.\.', outside the sdist's folder", SDIST)
    hard = tar_member("foo_bar-1.0/h", tarfile.LNKTYPE, linkname="foo_bar-1.0/b/../../..")
    refused(sdist_with_members(DIST, [(up, b""), (hard, b"")]), "outside the sdist's", SDIST)


def test_links_through_symlinks_that_stay_inside_are_fine() -> None:
    inside = [
        (tar_member("foo_bar-1.0/lib", tarfile.SYMTYPE, linkname="foo_bar"), b""),
        (tar_member("foo_bar-1.0/init.py", tarfile.SYMTYPE, linkname="lib/__init__.py"), b""),
        (tar_member("foo_bar-1.0/top", tarfile.SYMTYPE, linkname="lib/.."), b""),
    ]
    assert read(sdist_with_members(DIST, inside), SDIST) == DIST.metadata()


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ([("../foo_bar-1.0/x", None)], "outside the sdist's folder"),
        ([("foo_bar-1.0/a", "b"), ("foo_bar-1.0/b", "a"), ("foo_bar-1.0/c", "a")], "than 40"),
        ([("foo_bar-1.0/a", "."), ("foo_bar-1.0/a", ".")], "replaces the symlink"),
        ([("foo_bar-1.0/a", "."), ("foo_bar-1.0/x/../a/f", None)], "lies below the symlink"),
    ],
    ids=["climbs-above-root", "symlink-loop", "replaces-symlink", "dotdot-to-symlink"],
)
def test_paths_are_resolved_from_strings_alone(
    members: list[tuple[str, str | None]], message: str
) -> None:
    extra = [
        (
            tar_member(name)
            if target is None
            else tar_member(name, tarfile.SYMTYPE, linkname=target),
            b"x" if target is None else b"",
        )
        for name, target in members
    ]
    refused(sdist_with_members(DIST, extra), message, SDIST)


# ---------------------------------------------------------------- tar: cost bounded by size
# CPU limits have wide margins (the test machine is shared); the old code's figures are noted.


def test_many_empty_members_cost_what_the_upload_size_allows() -> None:
    bomb = many_members_sdist(DIST, members=120_000)  # ~268 kB; was accepted after ~8 s of CPU
    assert len(bomb) < 300_000
    refused(bomb, "more than 3,?[0-9]{3} tar headers, too many for its size", SDIST)
    assert cpu_seconds(bomb, SDIST) < 0.5  # ~0.07 s here


def test_a_huge_pax_header_is_refused_before_it_is_parsed() -> None:
    bomb = pax_records_sdist(DIST, records=2_000_000)  # 17 kB; ~1.5 s of CPU before
    refused(bomb, "12000000-byte pax or GNU extension header, more than 65536", SDIST)
    assert cpu_seconds(bomb, SDIST) < 0.5  # ~1 ms here


def test_a_long_member_name_costs_linear_time() -> None:
    bomb = long_name_sdist(DIST, components=32_000)  # 1.2 kB; ~4 s of CPU before
    refused(bomb, "has 64013 characters in its name, more than 4096; rebuild", SDIST)
    assert cpu_seconds(bomb, SDIST) < 0.5  # ~1 ms here
    deep = long_name_sdist(DIST, components=300)
    refused(deep, "more than 256 path components in its name", SDIST)


def test_chained_extension_headers_and_sparse_files_are_refused() -> None:
    pax = tarfile.TarInfo("././@PaxHeader")
    pax.type = tarfile.XHDTYPE
    chain = pax.tobuf(format=tarfile.USTAR_FORMAT) * 9
    member = tarfile.TarInfo("foo_bar-1.0/file").tobuf(format=tarfile.USTAR_FORMAT)
    sdist = gzip.compress(make_tar(DIST) + chain + member + bytes(1024))
    refused(sdist, "more than 8 extension headers in a row", SDIST)
    sparse = tarfile.TarInfo("foo_bar-1.0/sparse")
    sparse.type = tarfile.GNUTYPE_SPARSE
    sdist = gzip.compress(make_tar(DIST) + sparse.tobuf(format=tarfile.GNU_FORMAT) + bytes(1024))
    refused(sdist, "is a GNU sparse file", SDIST)


def test_a_big_sdist_with_many_members_passes() -> None:
    # 40,000 members in ~30 MB (real sdists take a kilobyte or more per member); ~1.2 s to read
    rng = random.Random(15)  # noqa: S311 - test data, not secrets
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        for n in range(40_000):
            info = tar_member(f"foo_bar-1.0/data/{n}.bin")
            info.size = 750
            archive.addfile(info, io.BytesIO(rng.randbytes(750)))
    sdist = gzip.compress(make_tar(DIST) + buffer.getvalue(), compresslevel=1)
    assert len(sdist) > 30_000_000
    assert read(sdist, SDIST) == DIST.metadata()


# ---------------------------------------------------------------- crashes that were 500s


def test_a_nul_in_a_pax_path_is_refused() -> None:
    member = tar_member("foo_bar-1.0/" + "a" * 100 + "\x00evil")  # long: written as pax path
    sdist = sdist_with_members(DIST, [(member, b"x")])
    refused(sdist, "has control characters in its name", SDIST)
    link = tar_member("foo_bar-1.0/l", tarfile.SYMTYPE, linkname="a" * 100 + "\x00")
    refused(sdist_with_members(DIST, [(link, b"")]), "control characters in its link", SDIST)


def test_a_zip64_locator_past_the_archive_is_refused() -> None:
    data = bytearray(_with_zip64_end(build_zip(wheel_members(DIST)), entries=4))
    locator = data.rfind(b"PK\x06\x07")
    for offset in (2**63, 2**64 - 1, len(data)):
        struct.pack_into("<Q", data, locator + 8, offset)
        refused(bytes(data), f"ZIP64 locator points at offset {offset}, past the archive")


def test_record_is_checked_to_its_end_without_being_kept() -> None:
    members = [m for m in wheel_members(DIST) if not m.name.endswith("/RECORD")]
    record = ZipMember.of("foo_bar-1.0.dist-info/RECORD", b"\n" * (63 * 1024 * 1024))
    wheel = build_zip([*members, record])
    assert len(wheel) < 200_000
    tracemalloc.start()
    try:
        assert read(wheel) == DIST.metadata()
        _size, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024  # 63 MiB before
    broken = dataclasses.replace(record, crc=record.crc ^ 1)
    refused(build_zip([*members, broken]), "Bad CRC-32")
