"""Bad uploads are refused with a 4xx and a one-line reason, and leave nothing behind.

Each refusal is checked against a snapshot taken just before it: the index version, the
project's Simple page, the index's project list, the set of stored blobs and the blob
store's temporary folder must all be unchanged.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
import os
import random
import struct
import tarfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from packaging.utils import canonicalize_name

from tests.builders import (
    Dist,
    ZipMember,
    build_zip,
    corrupt_zip,
    deflate_bomb_wheel,
    long_name_sdist,
    make_sdist,
    make_wheel,
    many_members_sdist,
    pax_records_sdist,
    sdist_with_members,
    tar_bomb_sdist,
    tar_member,
    truncate,
    wheel_members,
    write,
    zip_bomb_wheel,
)
from tests.driver import Packhouse, ServerProcess, User, unique

JSON = {"Accept": "application/vnd.pypi.simple.v1+json"}


# ---------------------------------------------------------------- helpers


def digests_of(data: bytes) -> dict[str, str]:
    return {
        "sha256_digest": hashlib.sha256(data).hexdigest(),
        "md5_digest": hashlib.md5(data, usedforsecurity=False).hexdigest(),
        "blake2_256_digest": hashlib.blake2b(data, digest_size=32).hexdigest(),
    }


def form_for(
    name: str, version: str, filename: str, data: bytes, /, **overrides: str | None
) -> dict[str, str]:
    """The fields twine sends for a file; ``overrides`` replace (or, with None, drop) fields."""
    filetype = "bdist_wheel" if filename.endswith(".whl") else "sdist"
    fields = {
        ":action": "file_upload",
        "protocol_version": "1",
        "metadata_version": "2.1",
        "name": name,
        "version": version,
        "filetype": filetype,
        "pyversion": "py3" if filetype == "bdist_wheel" else "source",
        **digests_of(data),
    }
    for key, value in overrides.items():
        if value is None:
            fields.pop(key, None)
        else:
            fields[key] = value
    return fields


def post_upload(
    url: str,
    index: str,
    *,
    filename: str,
    data: bytes,
    fields: dict[str, str],
    auth: tuple[str, str] | None,
    timeout: float = 60,
) -> httpx.Response:
    with httpx.Client(base_url=url, timeout=timeout, auth=auth) as client:
        return client.post(
            f"/pypi/{index}/legacy/",
            data=fields,
            files={"content": (filename, data, "application/octet-stream")},
        )


def wheel_with_metadata(module: str, version: str, metadata: bytes) -> bytes:
    """A wheel whose .dist-info folder matches its filename but whose METADATA says anything."""
    dist_info = f"{module}-{version}.dist-info"
    files = {
        f"{module}/__init__.py": b"X = 1\n",
        f"{dist_info}/METADATA": metadata,
        f"{dist_info}/WHEEL": b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for path, content in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(content)}")
    record.append(f"{dist_info}/RECORD,,")
    files[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for path, content in files.items():
            archive.writestr(path, content)
    return buffer.getvalue()


def deflated_wheel(dist: Dist) -> bytes:
    """A wheel compressed as build tools compress them (ZIP_DEFLATED), with a sizeable module."""
    rnd = random.Random(0)  # noqa: S311 - reproducible test data, not secrets
    source = "\n".join(f"X{i} = {rnd.random()!r}" for i in range(2000)) + "\n"
    dist_info = f"{dist.module}-{dist.version}.dist-info"
    files = {
        f"{dist.module}/__init__.py": source.encode(),
        f"{dist_info}/METADATA": dist.metadata(),
        f"{dist_info}/WHEEL": b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        f"{dist_info}/RECORD": b"",
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, content in files.items():
            archive.writestr(path, content)
    return buffer.getvalue()


@dataclass(frozen=True)
class Snapshot:
    """What an upload could change: listed state and stored state."""

    index_version: int
    project_status: int
    project_files: tuple[tuple[str, str], ...] | None
    projects: tuple[str, ...]
    blobs: frozenset[str]
    tmp_files: tuple[str, ...]


def tmp_files(server: ServerProcess) -> tuple[str, ...]:
    tmp = server.data_dir / "blobs" / "tmp"
    return tuple(sorted(p.name for p in tmp.iterdir())) if tmp.exists() else ()


def snapshot(ph: Packhouse, index: str, project: str) -> Snapshot:
    info = ph.http.get(f"/api/v1/indexes/{index}")
    assert info.status_code == 200, info.text
    page = ph.simple_json(index, canonicalize_name(project))
    assert page.status_code in (200, 404), page.text
    files = None
    if page.status_code == 200:
        files = tuple(sorted((f["filename"], f["hashes"]["sha256"]) for f in page.json()["files"]))
    listing = ph.http.get(f"/pypi/{index}/simple/", headers=JSON)
    assert listing.status_code == 200, listing.text
    projects = tuple(sorted(p["name"] for p in listing.json()["projects"]))
    return Snapshot(
        index_version=info.json()["version"],
        project_status=page.status_code,
        project_files=files,
        projects=projects,
        blobs=frozenset(ph.stored_blobs()),
        tmp_files=tmp_files(ph.server),
    )


def assert_refused(
    response: httpx.Response, status: int, message: str, *, what: str = "upload"
) -> None:
    assert response.status_code == status, (
        f"{what}: expected {status}, got {response.status_code}: {response.text!r}"
    )
    assert 400 <= response.status_code < 500
    text = response.text
    assert text.strip(), f"{what}: empty error body"
    assert "\n" not in text.strip(), f"{what}: error is not one line: {text!r}"
    assert message.lower() in text.lower(), f"{what}: {message!r} not in {text!r}"


# ---------------------------------------------------------------- the list of bad uploads


@dataclass
class Ctx:
    ph: Packhouse
    index: str
    user: User
    #: A fresh project name per test, so no other test's blobs can coincide with ours.
    name: str

    def dist(self, version: str = "1.0") -> Dist:
        return Dist(self.name, version, module_source=f"NAME = {self.name!r}\n")


@dataclass
class Attempt:
    filename: str
    data: bytes
    fields: dict[str, str]
    #: "user" for the uploader's credentials, None for none, or an explicit pair.
    auth: tuple[str, str] | str | None = "user"
    #: The project whose page must stay unchanged.
    project: str = ""


@dataclass(frozen=True)
class Bad:
    id: str
    build: Callable[[Ctx], Attempt]
    status: int
    message: str
    #: Extra response checks.
    check: Callable[[httpx.Response], None] = field(default=lambda _r: None)


def attempt(
    name: str, version: str, filename: str, data: bytes, /, **overrides: str | None
) -> Attempt:
    """An upload of ``data`` as ``filename`` with the fields twine would send, give or take."""
    return Attempt(filename, data, form_for(name, version, filename, data, **overrides))


def _good_wheel(ctx: Ctx, **overrides: str | None) -> Attempt:
    dist = ctx.dist()
    data = make_wheel(dist)
    return attempt(dist.name, dist.version, dist.wheel_filename, data, **overrides)


def _good_sdist(ctx: Ctx, **overrides: str | None) -> Attempt:
    dist = ctx.dist()
    data = make_sdist(dist)
    return attempt(dist.name, dist.version, dist.sdist_filename, data, **overrides)


def no_auth(ctx: Ctx) -> Attempt:
    attempt = _good_wheel(ctx)
    attempt.auth = None
    return attempt


def wrong_password(ctx: Ctx) -> Attempt:
    attempt = _good_wheel(ctx)
    attempt.auth = (ctx.user.name, ctx.user.password + "-wrong")
    return attempt


def unknown_token(ctx: Ctx) -> Attempt:
    attempt = _good_wheel(ctx)
    attempt.auth = ("__token__", "pkh_" + "x" * 40)
    return attempt


def corrupt_wheel(ctx: Ctx) -> Attempt:
    dist = ctx.dist()
    data = corrupt_zip(make_wheel(dist))
    return attempt(dist.name, dist.version, dist.wheel_filename, data)


def corrupt_deflated_wheel(ctx: Ctx) -> Attempt:
    """Flipped bytes in the METADATA entry's deflated data: it fails to inflate or its CRC.

    Only METADATA, WHEEL and RECORD are decompressed at upload (as on PyPI): corruption in
    another entry's data is for installers to find, from its CRC and RECORD hash.
    """
    dist = ctx.dist()
    data = bytearray(deflated_wheel(dist))
    header = data.find(b"PK\x03\x04", data.find(b"PK\x03\x04") + 4)  # METADATA comes 2nd
    names, extras = struct.unpack_from("<HH", data, header + 26)
    assert data[header + 30 : header + 30 + names].endswith(b".dist-info/METADATA")
    start = header + 30 + names + extras
    data[start + 4 : start + 12] = bytes(b ^ 0xFF for b in data[start + 4 : start + 12])
    return attempt(dist.name, dist.version, dist.wheel_filename, bytes(data))


def _wheel_attempt(ctx: Ctx, data: bytes) -> Attempt:
    dist = ctx.dist()
    return attempt(dist.name, dist.version, dist.wheel_filename, data)


def _sdist_attempt(ctx: Ctx, data: bytes) -> Attempt:
    dist = ctx.dist()
    return attempt(dist.name, dist.version, dist.sdist_filename, data)


def bzip2_bomb(ctx: Ctx) -> Attempt:
    return _wheel_attempt(ctx, zip_bomb_wheel(ctx.dist()))


def deflate_bomb(ctx: Ctx) -> Attempt:
    return _wheel_attempt(ctx, deflate_bomb_wheel(ctx.dist()))


def zip_trailing_data(ctx: Ctx) -> Attempt:
    return _wheel_attempt(ctx, build_zip(wheel_members(ctx.dist()), after=b"PK\x03\x04 tail"))


def zip_prepended_data(ctx: Ctx) -> Attempt:
    return _wheel_attempt(ctx, build_zip(wheel_members(ctx.dist()), before=b"#!/bin/sh\n"))


def zip_hidden_entry(ctx: Ctx) -> Attempt:
    """A local entry no central directory lists: streaming unzippers would see a .pth file."""
    hidden = build_zip([ZipMember.of("evil.pth", b"import os", zipfile.ZIP_STORED)])
    local = hidden[: hidden.find(b"PK\x01\x02")]
    return _wheel_attempt(ctx, build_zip(wheel_members(ctx.dist()), hidden=local))


def zip_local_name_differs(ctx: Ctx) -> Attempt:
    first, *rest = wheel_members(ctx.dist())
    changed = dataclasses.replace(first, local_name="evil.pth")
    return _wheel_attempt(ctx, build_zip([changed, *rest]))


def wheel_without_wheel_file(ctx: Ctx) -> Attempt:
    members = [m for m in wheel_members(ctx.dist()) if not m.name.endswith(".dist-info/WHEEL")]
    return _wheel_attempt(ctx, build_zip(members))


def tar_bomb(ctx: Ctx) -> Attempt:
    return _sdist_attempt(ctx, tar_bomb_sdist(ctx.dist()))


def tar_many_members(ctx: Ctx) -> Attempt:
    return _sdist_attempt(ctx, many_members_sdist(ctx.dist(), members=120_000))


def tar_huge_pax_header(ctx: Ctx) -> Attempt:
    return _sdist_attempt(ctx, pax_records_sdist(ctx.dist(), records=2_000_000))


def tar_long_name(ctx: Ctx) -> Attempt:
    return _sdist_attempt(ctx, long_name_sdist(ctx.dist(), components=32_000))


def tar_nul_in_pax_path(ctx: Ctx) -> Attempt:
    dist = ctx.dist()
    member = tar_member(f"{dist.module}-{dist.version}/" + "a" * 100 + "\x00.py")
    return _sdist_attempt(ctx, sdist_with_members(dist, [(member, b"x")]))


def tar_link_through_symlink(ctx: Ctx) -> Attempt:
    dist = ctx.dist()
    root = f"{dist.module}-{dist.version}"
    here = tar_member(f"{root}/b", tarfile.SYMTYPE, linkname=".")
    out = tar_member(f"{root}/c", tarfile.SYMTYPE, linkname="b/../..")
    return _sdist_attempt(ctx, sdist_with_members(dist, [(here, b""), (out, b"")]))


def zip64_locator_past_the_end(ctx: Ctx) -> Attempt:
    """A ZIP64 locator pointing at offset 2**63 (``seek`` raised ValueError: a 500)."""
    data = build_zip(wheel_members(ctx.dist()))
    end = data.rfind(b"PK\x05\x06")
    locator = struct.pack("<4sIQI", b"PK\x06\x07", 0, 2**63, 1)
    return _wheel_attempt(ctx, data[:end] + locator + data[end:])


def _tar_with(kind: bytes, name: str, linkname: str = "") -> Callable[[Ctx], Attempt]:
    def build(ctx: Ctx) -> Attempt:
        dist = ctx.dist()
        root = f"{dist.module}-{dist.version}"
        member = tar_member(name.replace("ROOT", root), kind, linkname=linkname)
        return _sdist_attempt(ctx, sdist_with_members(dist, [(member, b"")]))

    return build


def _patch_zip_headers(data: bytes, *, flags: int = 0, method: int | None = None) -> bytes:
    """Set general-purpose flag bits and/or the compression method in every zip header."""
    out = bytearray(data)
    for signature, flag_at, method_at in ((b"PK\x03\x04", 6, 8), (b"PK\x01\x02", 8, 10)):
        at = out.find(signature)
        while at != -1:
            old = struct.unpack_from("<H", out, at + flag_at)[0]
            struct.pack_into("<H", out, at + flag_at, old | flags)
            if method is not None:
                struct.pack_into("<H", out, at + method_at, method)
            at = out.find(signature, at + 4)
    return bytes(out)


def unsupported_compression_wheel(ctx: Ctx) -> Attempt:
    dist = ctx.dist()
    data = _patch_zip_headers(make_wheel(dist), method=99)  # 99: AES, which zipfile cannot read
    return attempt(dist.name, dist.version, dist.wheel_filename, data)


def encrypted_wheel(ctx: Ctx) -> Attempt:
    dist = ctx.dist()
    data = _patch_zip_headers(make_wheel(dist), flags=0x1)  # "encrypted" flag on every entry
    return attempt(dist.name, dist.version, dist.wheel_filename, data)


def not_a_zip(ctx: Ctx) -> Attempt:
    dist = ctx.dist()
    data = b"this is not a zip file at all\n" * 10
    return attempt(dist.name, dist.version, dist.wheel_filename, data)


def truncated_sdist(ctx: Ctx) -> Attempt:
    dist = ctx.dist()
    data = truncate(make_sdist(dist))
    return attempt(dist.name, dist.version, dist.sdist_filename, data)


def empty_file(ctx: Ctx) -> Attempt:
    dist = ctx.dist()
    return attempt(dist.name, dist.version, dist.sdist_filename, b"")


def sha256_mismatch(ctx: Ctx) -> Attempt:
    return _good_wheel(ctx, sha256_digest=hashlib.sha256(b"other bytes").hexdigest())


def md5_mismatch(ctx: Ctx) -> Attempt:
    # the sha256 is right: every digest sent must match, not just the strongest
    return _good_sdist(
        ctx, md5_digest=hashlib.md5(b"other bytes", usedforsecurity=False).hexdigest()
    )


def md5_only_mismatch(ctx: Ctx) -> Attempt:
    return _good_wheel(
        ctx,
        sha256_digest=None,
        blake2_256_digest=None,
        md5_digest=hashlib.md5(b"other bytes", usedforsecurity=False).hexdigest(),
    )


def no_digest(ctx: Ctx) -> Attempt:
    return _good_wheel(ctx, sha256_digest=None, md5_digest=None, blake2_256_digest=None)


def form_name_mismatch(ctx: Ctx) -> Attempt:
    return _good_wheel(ctx, name="someone-else")


def metadata_name_mismatch_wheel(ctx: Ctx) -> Attempt:
    dist = ctx.dist()
    data = wheel_with_metadata(
        dist.module, dist.version, b"Metadata-Version: 2.1\nName: someone-else\nVersion: 1.0\n"
    )
    return attempt(dist.name, dist.version, dist.wheel_filename, data)


def metadata_name_mismatch_sdist(ctx: Ctx) -> Attempt:
    dist = ctx.dist()
    data = make_sdist(Dist("someone-else", dist.version))
    return attempt(dist.name, dist.version, dist.sdist_filename, data)


def form_version_mismatch(ctx: Ctx) -> Attempt:
    return _good_sdist(ctx, version="2.0")


def metadata_version_mismatch_wheel(ctx: Ctx) -> Attempt:
    dist = ctx.dist()
    metadata = f"Metadata-Version: 2.1\nName: {dist.name}\nVersion: 2.0\n".encode()
    data = wheel_with_metadata(dist.module, dist.version, metadata)
    return attempt(dist.name, dist.version, dist.wheel_filename, data)


def metadata_version_mismatch_sdist(ctx: Ctx) -> Attempt:
    dist = ctx.dist()
    data = make_sdist(Dist(dist.name, "2.0"))
    return attempt(dist.name, dist.version, dist.sdist_filename, data)


def invalid_form_version(ctx: Ctx) -> Attempt:
    return _good_wheel(ctx, version="one.point.oh")


def invalid_filename_version(ctx: Ctx) -> Attempt:
    dist = ctx.dist()
    filename = f"{dist.module}-banana.tar.gz"
    data = make_sdist(dist)
    return attempt(dist.name, "banana", filename, data)


def filename_too_long(ctx: Ctx) -> Attempt:
    dist = Dist(ctx.name, "1." + "0" * 250)
    return attempt(dist.name, dist.version, dist.sdist_filename, make_sdist(dist))


def version_too_long(ctx: Ctx) -> Attempt:
    dist = Dist(ctx.name, "1." + "1" * 130)
    return attempt(dist.name, dist.version, dist.sdist_filename, make_sdist(dist))


def too_many_tags(ctx: Ctx) -> Attempt:
    dist = ctx.dist()
    tags = "-".join(".".join(f"{kind}{n}" for n in range(7)) for kind in ("py", "x", "p"))
    filename = f"{dist.module}-{dist.version}-{tags}.whl"  # 7 * 7 * 7 = 343 tags
    return attempt(dist.name, dist.version, filename, make_wheel(dist))


def metadata_name_too_long(ctx: Ctx) -> Attempt:
    dist = ctx.dist()
    long_name = dist.name.replace("-", "_" * 300, 1)  # normalizes to the same project
    assert len(long_name) > 255
    metadata = dist.metadata().replace(f"Name: {dist.name}".encode(), f"Name: {long_name}".encode())
    return attempt(
        dist.name, dist.version, dist.wheel_filename, make_wheel(dist, metadata=metadata)
    )


def invalid_metadata_version(ctx: Ctx) -> Attempt:
    dist = ctx.dist()
    metadata = f"Metadata-Version: 2.1\nName: {dist.name}\nVersion: banana\n".encode()
    data = wheel_with_metadata(dist.module, dist.version, metadata)
    return attempt(dist.name, dist.version, dist.wheel_filename, data)


def exe_file(ctx: Ctx) -> Attempt:
    dist = ctx.dist()
    filename = f"{dist.module}-1.0.win32.exe"
    data = b"MZ" + b"\0" * 200
    return attempt(dist.name, "1.0", filename, data, filetype="bdist_wininst")


def egg_file(ctx: Ctx) -> Attempt:
    dist = ctx.dist()
    filename = f"{dist.module}-1.0-py3.11.egg"
    data = make_wheel(dist)
    return attempt(dist.name, "1.0", filename, data, filetype="bdist_egg")


def filetype_mismatch(ctx: Ctx) -> Attempt:
    return _good_wheel(ctx, filetype="sdist")


def dotdot_path(ctx: Ctx) -> Attempt:
    dist = ctx.dist()
    data = make_sdist(dist)
    filename = f"../{dist.sdist_filename}"
    return attempt(dist.name, dist.version, filename, data)


def nested_path(ctx: Ctx) -> Attempt:
    dist = ctx.dist()
    data = make_wheel(dist)
    filename = f"a/{dist.wheel_filename}"
    return attempt(dist.name, dist.version, filename, data)


def absolute_path(ctx: Ctx) -> Attempt:
    dist = ctx.dist()
    data = make_wheel(dist)
    filename = f"/tmp/{dist.wheel_filename}"
    return attempt(dist.name, dist.version, filename, data)


def backslash_path(ctx: Ctx) -> Attempt:
    dist = ctx.dist()
    data = make_wheel(dist)
    filename = f"..\\{dist.wheel_filename}"
    return attempt(dist.name, dist.version, filename, data)


def reupload_different_content(ctx: Ctx) -> Attempt:
    first = ctx.dist()
    data = make_wheel(first)
    ok = post_upload(
        ctx.ph.url,
        ctx.index,
        filename=first.wheel_filename,
        data=data,
        fields=form_for(first.name, first.version, first.wheel_filename, data),
        auth=ctx.user.auth,
    )
    assert ok.status_code == 200, ok.text
    changed = Dist(first.name, first.version, module_source="CHANGED = True\n")
    other = make_wheel(changed)
    assert other != data
    assert changed.wheel_filename == first.wheel_filename
    return attempt(first.name, first.version, first.wheel_filename, other)


def wrong_action(ctx: Ctx) -> Attempt:
    return _good_wheel(ctx, **{":action": "remove_pkg"})


def _challenges_basic(response: httpx.Response) -> None:
    assert response.headers.get("www-authenticate", "").lower().startswith("basic"), (
        response.headers
    )


BAD_UPLOADS = [
    Bad("no-auth", no_auth, 401, "credentials", check=_challenges_basic),
    Bad(
        "wrong-password",
        wrong_password,
        401,
        "wrong user name or password",
        check=_challenges_basic,
    ),
    Bad("unknown-token", unknown_token, 401, "token", check=_challenges_basic),
    Bad("corrupt-zip-wheel", corrupt_wheel, 400, "wheel"),
    Bad("corrupt-deflated-wheel", corrupt_deflated_wheel, 400, "wheel"),
    Bad("zip-bomb-bzip2", bzip2_bomb, 400, "only stored and deflated entries are accepted"),
    Bad("zip-bomb-deflate", deflate_bomb, 400, "more than 50 times its size"),
    Bad("zip-trailing-data", zip_trailing_data, 400, "data follows its end record"),
    Bad("zip-prepended-data", zip_prepended_data, 400, "precedes its first entry"),
    Bad("zip-hidden-entry", zip_hidden_entry, 400, "the central directory does not list"),
    Bad("zip-local-name-differs", zip_local_name_differs, 400, "differs between its local"),
    Bad("wheel-without-WHEEL", wheel_without_wheel_file, 400, ".dist-info/WHEEL file"),
    Bad("tar-bomb", tar_bomb, 400, "sdist expands to more than"),
    Bad("tar-many-members", tar_many_members, 400, "tar headers, too many for its size"),
    Bad("tar-huge-pax-header", tar_huge_pax_header, 400, "12000000-byte pax or GNU extension"),
    Bad("tar-long-name", tar_long_name, 400, "characters in its name, more than 4096"),
    Bad("tar-nul-in-pax-path", tar_nul_in_pax_path, 400, "control characters in its name"),
    Bad("tar-link-through-symlink", tar_link_through_symlink, 400, "outside the sdist's"),
    Bad("zip64-locator-past-end", zip64_locator_past_the_end, 400, "ZIP64 locator points at"),
    Bad("tar-absolute-path", _tar_with(tarfile.REGTYPE, "/etc/cron.d/x"), 400, "absolute path"),
    Bad("tar-dotdot", _tar_with(tarfile.REGTYPE, "ROOT/../../x"), 400, "outside the sdist"),
    Bad(
        "tar-symlink-outside",
        _tar_with(tarfile.SYMTYPE, "ROOT/l", "../../etc/passwd"),
        400,
        "outside the sdist's folder",
    ),
    Bad(
        "tar-symlink-absolute",
        _tar_with(tarfile.SYMTYPE, "ROOT/l", "/etc/passwd"),
        400,
        "links to the absolute path",
    ),
    Bad(
        "tar-hardlink-outside",
        _tar_with(tarfile.LNKTYPE, "ROOT/h", "../x"),
        400,
        "outside the sdist's folder",
    ),
    Bad("tar-char-device", _tar_with(tarfile.CHRTYPE, "ROOT/tty"), 400, "special file"),
    Bad("tar-block-device", _tar_with(tarfile.BLKTYPE, "ROOT/sda"), 400, "special file"),
    Bad("tar-fifo", _tar_with(tarfile.FIFOTYPE, "ROOT/pipe"), 400, "special file"),
    Bad("unsupported-compression-wheel", unsupported_compression_wheel, 400, "wheel"),
    Bad("encrypted-wheel", encrypted_wheel, 400, "wheel"),
    Bad("not-a-zip-wheel", not_a_zip, 400, "not a valid zip"),
    Bad("truncated-targz-sdist", truncated_sdist, 400, "not a valid .tar.gz"),
    Bad("empty-file", empty_file, 400, "empty"),
    Bad("sha256-mismatch", sha256_mismatch, 400, "sha256_digest does not match"),
    Bad("md5-mismatch", md5_mismatch, 400, "md5_digest does not match"),
    Bad("md5-only-mismatch", md5_only_mismatch, 400, "md5_digest does not match"),
    Bad("no-digest", no_digest, 400, "digest"),
    Bad("name-form-vs-filename", form_name_mismatch, 400, "someone-else"),
    Bad(
        "name-metadata-vs-filename-wheel",
        metadata_name_mismatch_wheel,
        400,
        "metadata names project",
    ),
    Bad(
        "name-metadata-vs-filename-sdist",
        metadata_name_mismatch_sdist,
        400,
        "metadata names project",
    ),
    Bad("version-form-vs-filename", form_version_mismatch, 400, "the form has version '2.0'"),
    Bad(
        "version-metadata-vs-filename-wheel",
        metadata_version_mismatch_wheel,
        400,
        "metadata has version '2.0'",
    ),
    Bad(
        "version-metadata-vs-filename-sdist",
        metadata_version_mismatch_sdist,
        400,
        "metadata has version '2.0'",
    ),
    Bad("invalid-version-in-form", invalid_form_version, 400, "invalid version"),
    Bad("invalid-version-in-filename", invalid_filename_version, 400, "invalid sdist filename"),
    Bad("invalid-version-in-metadata", invalid_metadata_version, 400, "invalid core metadata"),
    Bad("filename-too-long", filename_too_long, 400, "at most 255 characters are accepted"),
    Bad("version-too-long", version_too_long, 400, "version is longer than 128 characters"),
    Bad("too-many-tags", too_many_tags, 400, "tags expand to 343 combinations, more than 256"),
    Bad("metadata-name-too-long", metadata_name_too_long, 400, "characters long, more than 255"),
    Bad("exe-file", exe_file, 400, "unsupported file type"),
    Bad("egg-file", egg_file, 400, "unsupported file type"),
    Bad("filetype-vs-filename", filetype_mismatch, 400, "filetype"),
    Bad("path-dotdot", dotdot_path, 400, "not a path"),
    Bad("path-nested", nested_path, 400, "not a path"),
    Bad("path-absolute", absolute_path, 400, "not a path"),
    Bad("path-backslash", backslash_path, 400, "not a path"),
    Bad("reupload-different-content", reupload_different_content, 400, "already exists"),
    Bad("unsupported-action", wrong_action, 400, ":action"),
]


@pytest.mark.parametrize("bad", BAD_UPLOADS, ids=[b.id for b in BAD_UPLOADS])
def test_bad_upload_is_refused_and_leaves_nothing(ph: Packhouse, bad: Bad) -> None:
    index = ph.create_index()
    user = ph.uploader(index)
    ctx = Ctx(ph, index, user, unique("bad"))
    attempt = bad.build(ctx)
    project = attempt.project or ctx.name
    auth = user.auth if attempt.auth == "user" else attempt.auth
    assert not isinstance(auth, str)

    before = snapshot(ph, index, project)
    response = post_upload(
        ph.url,
        index,
        filename=attempt.filename,
        data=attempt.data,
        fields=attempt.fields,
        auth=auth,
    )
    assert_refused(response, bad.status, bad.message, what=bad.id)
    bad.check(response)
    after = snapshot(ph, index, project)

    assert after == before


# ---------------------------------------------------------------- size limit


def test_upload_over_the_size_limit_is_refused_with_413(tmp_path: Path) -> None:
    limit = 20_000
    rnd = random.Random(1)  # noqa: S311 - reproducible test data, not secrets
    noise = rnd.randbytes(30_000).hex()  # 60 000 incompressible-ish characters
    with ServerProcess.start(
        tmp_path / "data", env={"PACKHOUSE_MAX_UPLOAD_SIZE": str(limit)}
    ) as server:
        ph = Packhouse(server, tmp_path)
        try:
            index = ph.create_index()
            user = ph.uploader(index)
            dist = Dist(unique("big"), "1.0", module_source=f"NOISE = {noise!r}\n")
            data = make_wheel(dist)
            assert len(data) > limit

            small = Dist(unique("small"), "1.0")
            small_data = make_wheel(small)
            assert len(small_data) < limit

            before = snapshot(ph, index, dist.module)
            response = post_upload(
                ph.url,
                index,
                filename=dist.wheel_filename,
                data=data,
                fields=form_for(dist.name, dist.version, dist.wheel_filename, data),
                auth=user.auth,
            )
            assert_refused(response, 413, "larger than the limit", what="too large")
            assert str(limit) in response.text
            after = snapshot(ph, index, dist.module)
            assert after == before
            assert hashlib.sha256(data).hexdigest() not in after.blobs

            # the same server still takes a file under the limit
            ok = post_upload(
                ph.url,
                index,
                filename=small.wheel_filename,
                data=small_data,
                fields=form_for(small.name, small.version, small.wheel_filename, small_data),
                auth=user.auth,
            )
            assert ok.status_code == 200, ok.text
            assert hashlib.sha256(small_data).hexdigest() in ph.stored_blobs()
        finally:
            ph.http.close()


# ---------------------------------------------------------------- idempotent re-upload


@pytest.mark.parametrize("sdist", [False, True], ids=["wheel", "sdist"])
def test_reuploading_an_identical_file_is_ok_and_makes_no_new_version(
    ph: Packhouse, sdist: bool
) -> None:
    index = ph.create_index()
    user = ph.uploader(index)
    dist = Dist(unique("same"), "1.0")
    data = make_sdist(dist) if sdist else make_wheel(dist)
    filename = dist.sdist_filename if sdist else dist.wheel_filename
    fields = form_for(dist.name, dist.version, filename, data)

    first = post_upload(ph.url, index, filename=filename, data=data, fields=fields, auth=user.auth)
    assert first.status_code == 200, first.text
    before = snapshot(ph, index, dist.name)
    assert before.index_version == 1
    assert before.project_files == ((filename, hashlib.sha256(data).hexdigest()),)

    again = post_upload(ph.url, index, filename=filename, data=data, fields=fields, auth=user.auth)
    assert 200 <= again.status_code < 300, again.text
    assert "already uploaded" in again.text
    assert snapshot(ph, index, dist.name) == before


# ---------------------------------------------------------------- through the real twine


def test_twine_shows_the_refusal_for_a_reused_filename(ph: Packhouse) -> None:
    index = ph.create_index()
    user = ph.uploader(index)
    dist = Dist(unique("twine-bad"), "1.0")
    first = ph.build(dist)
    ph.twine_upload(index, [first], username=user.name, password=user.password)
    project = dist.name
    before = snapshot(ph, index, project)

    other_dir = ph.tmp / "other"
    other_dir.mkdir()
    changed = write(
        other_dir, dist.wheel_filename, make_wheel(Dist(dist.name, "1.0", module_source="Y = 2\n"))
    )
    result = ph.twine_upload(
        index, [changed], username=user.name, password=user.password, check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "400" in output, output
    assert "already exists" in output, output
    assert snapshot(ph, index, project) == before


def test_twine_shows_the_refusal_for_a_wrong_password(ph: Packhouse) -> None:
    index = ph.create_index()
    user = ph.uploader(index)
    dist = Dist(unique("twine-auth"), "1.0")
    path = ph.build(dist)
    project = dist.name
    before = snapshot(ph, index, project)

    result = ph.twine_upload(
        index, [path], username=user.name, password="not-the-password", check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "401" in output, output
    assert "wrong user name or password" in output, output
    assert snapshot(ph, index, project) == before


# ---------------------------------------------------------------- what a bomb costs the server


def server_cpu_seconds(server: ServerProcess) -> float:
    """User and system CPU time of every process of the server (its session: main, workers)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        # after "pid (comm)": state, ppid, pgrp, session, ..., utime (14th), stime (15th)
        if int(fields[3]) == server.proc.pid:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def test_the_zip_bomb_costs_the_server_under_100_ms_of_cpu(ph: Packhouse) -> None:
    """The issue's wheel: 8 bzip2 entries of 256 MiB in 3 kB, once 12 s of server CPU."""
    index = ph.create_index()
    user = ph.uploader(index)
    auth = ("__token__", ph.token(user, index))  # no password hashing in the measurement
    dist = Dist(unique("bomb"), "1.0")
    bomb = zip_bomb_wheel(dist)
    assert len(bomb) < 5_000
    fields = form_for(dist.name, dist.version, dist.wheel_filename, bomb)

    def upload() -> httpx.Response:
        return post_upload(
            ph.url, index, filename=dist.wheel_filename, data=bomb, fields=fields, auth=auth
        )

    for _ in range(4):  # warm both workers
        upload()
    rounds = 5
    before, started = server_cpu_seconds(ph.server), time.perf_counter()
    responses = [upload() for _ in range(rounds)]
    cpu = (server_cpu_seconds(ph.server) - before) / rounds
    wall = (time.perf_counter() - started) / rounds
    print(f"zip bomb upload: {cpu * 1000:.0f} ms server CPU, {wall * 1000:.0f} ms wall, each")
    for response in responses:
        assert_refused(response, 400, "only stored and deflated entries are accepted")
    assert cpu < 0.1, f"the bomb cost {cpu:.3f} s of server CPU per upload"


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (many_members_sdist, "tar headers, too many for its size"),
        (pax_records_sdist, "pax or GNU extension header"),
        (long_name_sdist, "characters in its name"),
    ],
    ids=["120,000-empty-members", "pax-2M-records", "32,000-part-name"],
)
def test_hostile_sdists_cost_the_server_little_cpu(
    ph: Packhouse, build: Callable[[Dist], bytes], message: str
) -> None:
    """Review repros once cost 8 s, 1.5 s and 4 s of server CPU; now ~70 ms at most."""
    index = ph.create_index()
    user = ph.uploader(index)
    auth = ("__token__", ph.token(user, index))  # no password hashing in the measurement
    dist = Dist(unique("hostile"), "1.0")
    data = build(dist)
    fields = form_for(dist.name, dist.version, dist.sdist_filename, data)

    def upload() -> httpx.Response:
        return post_upload(
            ph.url, index, filename=dist.sdist_filename, data=data, fields=fields, auth=auth
        )

    upload()  # warm a worker
    rounds = 3
    before = server_cpu_seconds(ph.server)
    responses = [upload() for _ in range(rounds)]
    cpu = (server_cpu_seconds(ph.server) - before) / rounds
    for response in responses:
        assert_refused(response, 400, message)
    assert cpu < 0.5, f"the sdist cost {cpu:.3f} s of server CPU per upload"  # shared machine


def test_a_wheel_whose_tags_expand_past_255_characters_is_one_file(ph: Packhouse) -> None:
    """Its normalized form is 600+ characters (a 500 on PostgreSQL when stored as is)."""
    index = ph.create_index()
    user = ph.uploader(index)
    dist = Dist(unique("tags"), "1.0")
    tags = "cp38.cp39.cp310.cp311.cp312-abi3.none-manylinux_2_17_x86_64.manylinux2014_x86_64"
    filename = f"{dist.module}-1.0-{tags}.whl"
    data = make_wheel(dist)
    fields = form_for(dist.name, "1.0", filename, data)
    response = post_upload(
        ph.url, index, filename=filename, data=data, fields=fields, auth=user.auth
    )
    assert response.status_code == 200, response.text
    # the same tags in another order and version spelling, other content: the same file
    other = f"{dist.module}-1.0.0-" + tags.replace("cp38.cp39", "cp39.cp38") + ".whl"
    changed = make_wheel(Dist(dist.name, "1.0.0", module_source="changed = True\n"))
    fields = form_for(dist.name, "1.0.0", other, changed)
    response = post_upload(
        ph.url, index, filename=other, data=changed, fields=fields, auth=user.auth
    )
    assert_refused(response, 400, "same name, version and tags")
