"""The benchmark's synthetic corpus: deterministic, valid wheels and sdists built in memory.

- ``pair``: one project with two files (a wheel and an sdist): the common small page.
- ``big``: one project with 1,000 files (500 releases, wheel and sdist each).
- ``tree``: 60 projects whose dependencies form a tree under ``tree-00`` (two releases each,
  wheels only, so installers measure the index and not sdist builds).
- ``upload_batches``: independent sets of small files, one per upload measurement (an
  identical re-upload makes no new index version, so every measurement gets fresh files).

The same inputs give the same bytes on every run and machine (fixed zip and gzip times).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tests.builders import Dist, make_sdist, make_wheel

PAIR = "bench-pair"
BIG = "bench-big"
TREE_ROOT = "tree-00"
TREE_SIZE = 60
BIG_RELEASES = 500


@dataclass
class Corpus:
    """Files on disk, grouped by what they are for."""

    root: Path
    pair: list[Path] = field(default_factory=list)
    big: list[Path] = field(default_factory=list)
    tree: list[Path] = field(default_factory=list)
    upload_batches: dict[str, list[Path]] = field(default_factory=dict)

    @property
    def served(self) -> list[Path]:
        """Everything the read benchmarks need on the server."""
        return self.pair + self.big + self.tree


def _write(folder: Path, dist: Dist, *, sdist: bool = True) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    built = [(dist.wheel_filename, make_wheel)]
    if sdist:
        built.append((dist.sdist_filename, make_sdist))
    paths = []
    for filename, make in built:
        path = folder / filename
        if not path.exists():
            path.write_bytes(make(dist))
        paths.append(path)
    return paths


def tree_dependencies(i: int) -> tuple[str, ...]:
    """Package i depends on 2i+1 and 2i+2 (a binary tree of 60 packages under tree-00).

    >>> tree_dependencies(0), tree_dependencies(29), tree_dependencies(30)
    (('tree-01>=1.0', 'tree-02>=1.0'), ('tree-59>=1.0',), ())
    """
    return tuple(f"tree-{c:02d}>=1.0" for c in (2 * i + 1, 2 * i + 2) if c < TREE_SIZE)


def build(root: Path, *, upload_sets: tuple[str, ...], upload_files: int) -> Corpus:
    """Build (or reuse) the corpus under ``root``."""
    corpus = Corpus(root)
    corpus.pair = _write(root / "pair", Dist(PAIR, "1.0", requires_python=">=3.8"))
    for n in range(BIG_RELEASES):
        dist = Dist(BIG, f"1.{n}.0", requires_python=">=3.8")
        corpus.big += _write(root / "big", dist)
    for i in range(TREE_SIZE):
        for version in ("1.0", "1.1"):
            dist = Dist(f"tree-{i:02d}", version, requires=tree_dependencies(i))
            corpus.tree += _write(root / "tree", dist, sdist=False)
    for name in upload_sets:
        batch: list[Path] = []
        for n in range(upload_files // 2):
            dist = Dist(f"up-{name}-{n // 10:03d}", f"0.{n % 10}")
            batch += _write(root / "upload" / name, dist)
        corpus.upload_batches[name] = batch
    return corpus
