"""Every metadata shape real build backends wrote is accepted, and served byte for byte.

The shapes are in ``tests/metadata_corpus.py``. Each is wrapped into a wheel (and some into an
sdist), uploaded through the legacy API the way twine sends it (a few with the real twine),
and then read back: the ``.metadata`` file must be the archive's METADATA/PKG-INFO byte for
byte, and ``requires-python`` must be the declared string, in the PEP 691 JSON and (escaped)
in the HTML page. The refusals that remain follow, each named by the PyPI rule it mirrors.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urljoin

import pytest
from packaging.metadata import parse_email
from packaging.utils import canonicalize_name

from tests.builders import Dist, make_sdist, make_wheel, write
from tests.driver import Packhouse, ServerProcess, User, unique
from tests.e2e.test_bad_uploads import assert_refused, form_for, post_upload, snapshot
from tests.metadata_corpus import SHAPES, Shape


@dataclass(frozen=True)
class Case:
    shape: Shape
    sdist: bool

    @property
    def id(self) -> str:
        return f"{self.shape.id}-{'sdist' if self.sdist else 'wheel'}"


CASES = [Case(s, False) for s in SHAPES] + [Case(s, True) for s in SHAPES if s.sdist]
#: Shapes uploaded with the real twine too (twine itself refuses files it finds invalid, so
#: these are shapes it accepts, among them the License-File-under-2.1 one it special-cases).
TWINE_SHAPES = ["setuptools-2.1-license-file", "hatchling-2.4", "poetry-core-1-2.1"]


@dataclass
class Corpus:
    ph: Packhouse
    index: str
    user: User


@pytest.fixture(scope="module")
def corpus(server: ServerProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Corpus]:
    """One index and uploader for the whole corpus; each case has its own project."""
    ph = Packhouse(server, tmp_path_factory.mktemp("corpus"))
    index = ph.create_index()
    yield Corpus(ph, index, ph.uploader(index))
    ph.http.close()


def build(case: Case, name: str) -> tuple[str, bytes, bytes]:
    """(filename, archive, metadata) for a case and a fresh project name."""
    shape = case.shape
    dist = Dist(name, shape.version)
    spelled = name.replace("-", ".").title() if shape.id == "name-unnormalized" else name
    metadata = shape.metadata(spelled)
    if case.sdist:
        return dist.sdist_filename, make_sdist(dist, metadata=metadata), metadata
    return dist.wheel_filename, make_wheel(dist, metadata=metadata), metadata


def twine_fields(
    name: str, version: str, filename: str, data: bytes, metadata: bytes
) -> dict[str, str]:
    """The form twine sends, with the file's Metadata-Version."""
    declared = parse_email(metadata)[0].get("metadata_version", "1.0")
    return form_for(name, version, filename, data, metadata_version=str(declared))


def assert_served(
    ph: Packhouse,
    index: str,
    name: str,
    filename: str,
    metadata: bytes,
    requires_python: str | None,
) -> None:
    project = canonicalize_name(name)
    page_url = f"{ph.url}/pypi/{index}/simple/{project}/"
    response = ph.simple_json(index, project)
    assert response.status_code == 200, response.text
    (entry,) = [f for f in response.json()["files"] if f["filename"] == filename]
    assert entry["requires-python"] == requires_python
    assert entry["core-metadata"] == {"sha256": hashlib.sha256(metadata).hexdigest()}

    served = ph.http.get(urljoin(page_url, entry["url"]) + ".metadata")
    assert served.status_code == 200
    assert served.content == metadata, "the .metadata file is not the archive's, byte for byte"

    page = ph.http.get(page_url, headers={"Accept": "text/html"}).text
    (anchor,) = [line for line in page.splitlines() if f">{filename}</a>" in line]
    if requires_python is None:
        assert "data-requires-python" not in anchor
    else:
        assert f'data-requires-python="{html.escape(requires_python)}"' in anchor


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_real_world_metadata_is_accepted_and_served_as_declared(corpus: Corpus, case: Case) -> None:
    name = unique("corpus")
    filename, data, metadata = build(case, name)
    response = post_upload(
        corpus.ph.url,
        corpus.index,
        filename=filename,
        data=data,
        fields=twine_fields(name, case.shape.version, filename, data, metadata),
        auth=corpus.user.auth,
    )
    assert response.status_code == 200, f"{case.shape.backend}: {response.text}"
    assert_served(corpus.ph, corpus.index, name, filename, metadata, case.shape.requires_python)


def test_the_corpus_covers_what_the_issue_lists() -> None:
    """At least 60 shapes, every Metadata-Version from 1.0 to 2.5, and the awkward cases."""
    assert len(SHAPES) >= 60
    raws = [parse_email(s.metadata("x")) for s in SHAPES]
    versions = {raw.get("metadata_version") for raw, _ in raws}
    assert {"1.0", "1.1", "1.2", "2.0", "2.1", "2.2", "2.3", "2.4", "2.5"} <= versions
    old = [raw for raw, _ in raws if str(raw.get("metadata_version")) < "2.4"]
    assert any("license_files" in raw for raw in old)
    assert any("license_expression" in raw for raw in old)
    assert any("dynamic" in raw for raw in old if str(raw.get("metadata_version")) < "2.2")
    assert any(s.crlf for s in SHAPES)
    assert any(s.encoding != "utf-8" for s in SHAPES)


@pytest.mark.parametrize("shape_id", TWINE_SHAPES)
def test_twine_uploads_real_world_metadata(ph: Packhouse, shape_id: str) -> None:
    (shape,) = [s for s in SHAPES if s.id == shape_id]
    index = ph.create_index()
    user = ph.uploader(index)
    name = unique("twine-corpus")
    filename, data, metadata = build(Case(shape, False), name)
    path = write(ph.tmp, filename, data)
    ph.twine_upload(index, [path], username=user.name, password=user.password)
    assert_served(ph, index, name, filename, metadata, shape.requires_python)


# ---------------------------------------------------------------- the refusals that remain


@dataclass(frozen=True)
class Refusal:
    id: str
    #: The PyPI rule this refusal mirrors.
    pypi_rule: str
    #: The METADATA, with {name} and {version}.
    text: str
    message: str


REFUSALS = [
    Refusal(
        "missing-name",
        "Name is a required field (packaging's validation, which PyPI runs)",
        "Metadata-Version: 2.1\nVersion: {version}\n",
        "no Name field",
    ),
    Refusal(
        "two-names",
        "a single-use field given twice is invalid data (PyPI: \"'name' has invalid data\")",
        "Metadata-Version: 2.1\nName: {name}\nName: {name}-other\nVersion: {version}\n",
        "2 Name fields",
    ),
    Refusal(
        "name-mismatch",
        "the filename must start with the metadata's normalized name (PyPI: 'Start filename "
        "for ... with ...')",
        "Metadata-Version: 2.1\nName: someone-else\nVersion: {version}\n",
        "metadata names project 'someone-else'",
    ),
    Refusal(
        "invalid-name",
        "names must be valid project names (PEP 508; PyPI's name validation)",
        "Metadata-Version: 2.1\nName: {name}!\nVersion: {version}\n",
        "not a valid project name",
    ),
    Refusal(
        "missing-version",
        "Version is a required field",
        "Metadata-Version: 2.1\nName: {name}\n",
        "no Version field",
    ),
    Refusal(
        "invalid-version",
        "versions must be PEP 440 versions (PyPI: _validate_pep440_version)",
        "Metadata-Version: 2.1\nName: {name}\nVersion: one.point.oh\n",
        "not a valid PEP 440 version",
    ),
    Refusal(
        "version-mismatch",
        "the filename's version must be the metadata's (PyPI: 'Version in filename should be')",
        "Metadata-Version: 2.1\nName: {name}\nVersion: 2.0\n",
        "metadata has version '2.0'",
    ),
    Refusal(
        "missing-metadata-version",
        "Metadata-Version is a required field (PyPI's form requires it)",
        "Name: {name}\nVersion: {version}\n",
        "no Metadata-Version field",
    ),
    Refusal(
        "unknown-major-metadata-version",
        "PyPI refuses Metadata-Versions it does not know; the spec says readers MUST fail on an "
        "unknown major version",
        "Metadata-Version: 3.0\nName: {name}\nVersion: {version}\n",
        "unknown major version",
    ),
    Refusal(
        "invalid-requires-python",
        "Requires-Python must be a PEP 440 specifier set (PyPI validates it with packaging; "
        "'>=3.5.*' was accepted by old setuptools, and is refused by PyPI today)",
        "Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nRequires-Python: >=3.5.*\n",
        "Requires-Python '>=3.5.*' is not a PEP 440 version specifier set",
    ),
]


@pytest.mark.parametrize("sdist", [False, True], ids=["wheel", "sdist"])
@pytest.mark.parametrize("refusal", REFUSALS, ids=[r.id for r in REFUSALS])
def test_remaining_refusals_are_pypi_rules(ph: Packhouse, refusal: Refusal, sdist: bool) -> None:
    assert refusal.pypi_rule
    index = ph.create_index()
    user = ph.uploader(index)
    name = unique("refused")
    dist = Dist(name, "1.0")
    metadata = refusal.text.replace("{name}", name).replace("{version}", "1.0").encode()
    if sdist:
        filename, data = dist.sdist_filename, make_sdist(dist, metadata=metadata)
    else:
        filename, data = dist.wheel_filename, make_wheel(dist, metadata=metadata)
    before = snapshot(ph, index, name)
    response = post_upload(
        ph.url,
        index,
        filename=filename,
        data=data,
        fields=form_for(name, "1.0", filename, data),
        auth=user.auth,
    )
    assert_refused(response, 400, refusal.message, what=refusal.id)
    assert snapshot(ph, index, name) == before
