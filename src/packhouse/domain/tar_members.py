"""Tar members: refuse what PEP 706's ``data`` extraction filter would, from strings alone.

``tarfile.data_filter`` resolves each path with ``os.path.realpath`` on the real filesystem (an
``lstat`` per path component), and depends on what the folder it is given holds. An index
checks an sdist without extracting it, so ``MemberCheck`` applies the filter's rules to the
members' names, in archive order, remembering the symlinks seen so far, as they would exist on
disk during an extraction into an empty folder:

- a name that is absolute, or whose ``..`` climbs above the sdist's root at any point, is
  refused (the filter strips a leading ``/`` and compares the final path only; both are
  stricter here, as no real sdist needs them);
- a member whose path reaches an earlier symlink member (below it, or at it) is refused,
  wherever the symlink points: the filter follows it on disk (stricter, as before);
- devices, FIFOs and unknown member types are refused (``SpecialFileError``);
- a link with an absolute target is refused (``AbsoluteLinkError``); a symlink's target, taken
  from its folder, and a hard link's target, taken from the root, are resolved through the
  symlinks seen so far, as ``realpath`` would; one that leaves the root is refused
  (``LinkOutsideDestinationError``), as is a chain of more than ``MAX_LINK_HOPS`` symlinks.

The cost is linear in a name's length: names and link targets longer than ``MAX_NAME_LENGTH``
characters or ``MAX_NAME_PARTS`` components, or holding control characters (NUL would stop
a C string), are refused first.
"""

from __future__ import annotations

import re
import tarfile

from packhouse.errors import InvalidUpload

#: Longest member name or link target (Linux's PATH_MAX).
MAX_NAME_LENGTH = 4096
#: Most ``/``-separated components in a member name or link target.
MAX_NAME_PARTS = 256
#: Most symlinks followed while resolving one link target (Linux's ELOOP limit).
MAX_LINK_HOPS = 40
_ROOT = 0
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
#: A folder no symlink lies in or below (a trie node that does not exist).
_ELSEWHERE = -1


#: Largest pax (``x``/``g``) or GNU long-name (``L``/``K``) header: real ones hold a path and
#: a few numbers; parsing costs a few microseconds per record, so this bounds it before.
MAX_EXTENSION_SIZE = 64 * 1024
#: Most extension headers before one member (real archives have at most a pax global, a pax
#: and the two GNU long names); ``tarfile`` parses a chain of them recursively.
MAX_EXTENSION_RUN = 8
_EXTENSIONS = frozenset(
    {
        tarfile.XHDTYPE,
        tarfile.XGLTYPE,
        tarfile.SOLARIS_XHDTYPE,
        tarfile.GNUTYPE_LONGNAME,
        tarfile.GNUTYPE_LONGLINK,
    }
)


def bounded_member_type(max_headers: int) -> type[tarfile.TarInfo]:
    """A ``TarInfo`` class for one archive (``tarfile.open(tarinfo=...)``) that refuses, before
    ``tarfile`` parses them, more than ``max_headers`` headers, extension headers larger than
    ``MAX_EXTENSION_SIZE`` or in runs longer than ``MAX_EXTENSION_RUN``, and GNU sparse files.

    It hooks ``TarInfo.fromtarfile`` (public) and ``TarInfo._proc_member`` (private, the
    dispatch on a header's type, unchanged from Python 2.6 to 3.14).
    """
    seen = _HeaderCount()

    class BoundedTarInfo(tarfile.TarInfo):
        @classmethod
        def fromtarfile(cls, tarfile: tarfile.TarFile) -> BoundedTarInfo:
            seen.headers += 1
            if seen.headers > max_headers:
                raise InvalidUpload(
                    f"the sdist has more than {max_headers} tar headers, too many for its "
                    "size (real sdists take a kilobyte or more per file); rebuild it"
                )
            return super().fromtarfile(tarfile)

        def _proc_member(self, tarfile: tarfile.TarFile) -> tarfile.TarInfo:
            seen.check(self)
            return super()._proc_member(tarfile)  # type: ignore[misc,no-any-return]

    return BoundedTarInfo


class _HeaderCount:
    """What one archive's headers have cost so far."""

    def __init__(self) -> None:
        self.headers = 0
        self.run = 0

    def check(self, header: tarfile.TarInfo) -> None:
        if header.type == tarfile.GNUTYPE_SPARSE:
            raise InvalidUpload(
                f"the sdist member {_shown(header.name)} is a GNU sparse file; rebuild the "
                "sdist with regular files"
            )
        if header.type not in _EXTENSIONS:
            self.run = 0
            return
        self.run += 1
        if header.size > MAX_EXTENSION_SIZE:
            raise InvalidUpload(
                f"the sdist has a {header.size}-byte pax or GNU extension header, more than "
                f"{MAX_EXTENSION_SIZE}; rebuild it with standard tools"
            )
        if self.run > MAX_EXTENSION_RUN:
            raise InvalidUpload(
                f"the sdist has more than {MAX_EXTENSION_RUN} extension headers in a row; "
                "rebuild it with standard tools"
            )


class _Escape(Exception):
    """A path climbs above the sdist's root."""


class _Through(Exception):
    """A path reaches a symlink seen earlier (when symlinks are not followed)."""

    def __init__(self, link: str) -> None:
        super().__init__(link)
        self.link = link


class _Loop(Exception):
    """Resolving a path follows more than ``MAX_LINK_HOPS`` symlinks."""


class MemberCheck:
    """Checks the members of one archive in order; remembers its symlinks.

    >>> check = MemberCheck()
    >>> check(tarfile.TarInfo("foo-1.0/../../etc/passwd"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    packhouse.errors.InvalidUpload: the sdist member 'foo-1.0/../../etc/passwd' would be \
extracted outside the sdist's folder; ...
    """

    def __init__(self) -> None:
        #: A trie of the folders that hold symlinks: (folder node, name) -> node.
        self._children: dict[tuple[int, str], int] = {}
        #: Symlink nodes: node -> (the symlink's name, its target).
        self._links: dict[int, tuple[str, str]] = {}

    def __call__(self, member: tarfile.TarInfo) -> None:
        """Refuse a member that ``tarfile.data_filter`` (PEP 706) would not extract."""
        reason = self._problem(member)
        if reason is not None:
            raise InvalidUpload(
                f"the sdist member {_shown(member.name)} {reason}; Python's tarfile 'data' "
                "filter (PEP 706) refuses such members, so rebuild the sdist without it"
            )

    def _problem(self, member: tarfile.TarInfo) -> str | None:
        _check_text(member, member.name, "its name")
        if member.name.startswith("/"):
            return "has an absolute path"
        if not (member.isreg() or member.islnk() or member.isdir() or member.issym()):
            return "is a device, FIFO or other special file"
        *folder_names, leaf = member.name.split("/")
        try:
            folders = self._resolve(folder_names, follow=False)
            if leaf in ("", ".", ".."):
                self._resolve([leaf], follow=False, stack=folders)
                return None if member.isdir() else "has no file name"
            node = self._child(folders, leaf)
        except _Escape:
            return "would be extracted outside the sdist's folder"
        except _Through as through:
            return f"lies below the symlink {through.link!r}"
        if node in self._links:
            return f"replaces the symlink {self._links[node][0]!r}"
        if member.issym() or member.islnk():
            return self._link_problem(member, folders)
        return None

    def _link_problem(self, member: tarfile.TarInfo, folders: list[int]) -> str | None:
        target = member.linkname
        _check_text(member, target, "its link target")
        if target.startswith("/"):
            return f"links to the absolute path {target!r}"
        start = list(folders) if member.issym() else []
        try:
            self._resolve(target.split("/"), follow=True, stack=start)
        except _Escape:
            return f"links to {target!r}, outside the sdist's folder"
        except _Loop:
            return f"links to {target!r} through more than {MAX_LINK_HOPS} symlinks"
        if member.issym():
            self._add_link(member.name, target)
        return None

    def _resolve(
        self, parts: list[str], *, follow: bool, stack: list[int] | None = None
    ) -> list[int]:
        """Walk ``parts`` from the folder ``stack`` (the root by default) as ``realpath`` would.

        Returns the folders walked into; raises ``_Escape`` above the root, ``_Through`` at a
        symlink when not following, ``_Loop`` after ``MAX_LINK_HOPS`` symlinks.
        """
        stack = [] if stack is None else stack
        pending = parts[::-1]
        hops = 0
        while pending:
            part = pending.pop()
            if part in ("", "."):
                continue
            if part == "..":
                if not stack:
                    raise _Escape
                stack.pop()
                continue
            node = self._child(stack, part)
            link = self._links.get(node)
            if link is None:
                stack.append(node)
                continue
            if not follow:
                raise _Through(link[0])
            hops += 1
            if hops > MAX_LINK_HOPS:
                raise _Loop
            pending.extend(link[1].split("/")[::-1])  # relative: from the link's folder
        return stack

    def _child(self, stack: list[int], part: str) -> int:
        folder = stack[-1] if stack else _ROOT
        if folder == _ELSEWHERE:
            return _ELSEWHERE
        return self._children.get((folder, part), _ELSEWHERE)

    def _add_link(self, name: str, target: str) -> None:
        """Record a symlink (its name reaches no symlink, so ``..`` applies textually)."""
        folder = _ROOT
        names: list[str] = []
        for part in name.split("/"):
            if part == "..":
                names.pop()
            elif part not in ("", "."):
                names.append(part)
        for part in names:
            folder = self._children.setdefault((folder, part), len(self._children) + 1)
        self._links[folder] = (name.rstrip("/"), target)


def _check_text(member: tarfile.TarInfo, text: str, what: str) -> None:
    """Refuse a name or link target too long or deep to check cheaply, or one with control
    characters (NUL ends a C string, so the name extracted would differ)."""
    problem = None
    if len(text) > MAX_NAME_LENGTH:
        problem = f"has {len(text)} characters in {what}, more than {MAX_NAME_LENGTH}"
    elif text.count("/") >= MAX_NAME_PARTS:
        problem = f"has more than {MAX_NAME_PARTS} path components in {what}"
    elif _CONTROL.search(text):
        problem = f"has control characters in {what}"
    if problem is not None:
        raise InvalidUpload(f"the sdist member {_shown(member.name)} {problem}; rebuild the sdist")


def _shown(name: str) -> str:
    """The member's name for a message: quoted, and cut short when it is long."""
    return repr(name) if len(name) <= 200 else f"{name[:200]!r}... ({len(name)} characters)"
