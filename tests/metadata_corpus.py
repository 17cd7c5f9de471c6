"""Core metadata shapes that real build backends wrote, for the upload corpus test.

Each shape is a METADATA/PKG-INFO file as a backend of some era wrote it (from memory of the
files on PyPI, rebuilt here: nothing is downloaded), with ``{name}`` and ``{version}`` left for
the test to fill in. PyPI accepted files of every one of these shapes, so an index must too.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Shape:
    """One METADATA file shape."""

    id: str
    #: The backend (and era) that writes files of this shape.
    backend: str
    #: The file, with ``{name}`` and ``{version}`` placeholders.
    text: str
    #: The Requires-Python the file declares, as an index must serve it.
    requires_python: str | None = None
    #: Also upload it as the PKG-INFO of an sdist.
    sdist: bool = False
    #: Write the file with CRLF line ends.
    crlf: bool = False
    #: How the text is encoded (old distutils wrote whatever the system used).
    encoding: str = "utf-8"
    version: str = "1.0"

    def metadata(self, name: str) -> bytes:
        text = self.text.replace("{name}", name).replace("{version}", self.version)
        if self.crlf:
            text = text.replace("\n", "\r\n")
        return text.encode(self.encoding)


MIT = """\
Copyright (c) 2020 The Authors
        
        Permission is hereby granted, free of charge, to any person obtaining a copy
        of this software and associated documentation files (the "Software"), to deal
        in the Software without restriction.
        
        THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND."""

README_MD = """\
# {name}

A project with a README in **Markdown**: `code`, [links](https://example.org), and lists:

- one
- two

```python
import {name}
```
"""

RST_IN_HEADER = """\
{name}
        ======
        
        A reStructuredText description, folded into the header with eight spaces.
        
        .. code-block:: python
        
            print("indented code keeps its indent")
        
        Changes
        -------
        
        1.0: first release."""

SHAPES: list[Shape] = [
    # ------------------------------------------------------------ distutils, Metadata 1.0 / 1.1
    Shape(
        "distutils-1.0-unknown",
        "distutils (Python 2.x), every missing field written as UNKNOWN",
        """\
Metadata-Version: 1.0
Name: {name}
Version: {version}
Summary: UNKNOWN
Home-page: UNKNOWN
Author: UNKNOWN
Author-email: UNKNOWN
License: UNKNOWN
Description: UNKNOWN
Platform: UNKNOWN
""",
        sdist=True,
    ),
    Shape(
        "distutils-1.0-description",
        "distutils, a folded Description",
        f"""\
Metadata-Version: 1.0
Name: {{name}}
Version: {{version}}
Summary: A small library
Home-page: http://example.org/
Author: Jane Doe
Author-email: jane@example.org
License: BSD
Description: {RST_IN_HEADER}
Platform: any
""",
        sdist=True,
    ),
    Shape(
        "distutils-1.0-latin1",
        "distutils under Python 2 on a Latin-1 system: not UTF-8",
        """\
Metadata-Version: 1.0
Name: {name}
Version: {version}
Summary: Outil de d\xe9veloppement
Author: J\xfcrgen M\xfcller
Author-email: jm@example.org
License: GPL
Description: Une biblioth\xe8que tr\xe8s utile.
Platform: UNKNOWN
""",
        encoding="latin-1",
        sdist=True,
    ),
    Shape(
        "distutils-1.1-classifiers",
        "distutils 1.1: Classifier, Download-URL, Requires/Provides/Obsoletes",
        """\
Metadata-Version: 1.1
Name: {name}
Version: {version}
Summary: Classic distutils package
Home-page: http://example.org/project
Author: John Smith
Author-email: john@example.org
License: MIT
Download-URL: http://example.org/project/download
Description: Line one
        
        Line two after a blank line.
Keywords: example sample classic
Platform: any
Classifier: Development Status :: 5 - Production/Stable
Classifier: Intended Audience :: Developers
Classifier: License :: OSI Approved :: MIT License
Classifier: Programming Language :: Python :: 2
Requires: os
Provides: {name}
Obsoletes: oldthing
""",
        sdist=True,
    ),
    Shape(
        "distutils-1.1-crlf",
        "distutils on Windows: CRLF line ends",
        """\
Metadata-Version: 1.1
Name: {name}
Version: {version}
Summary: Built on Windows
Home-page: UNKNOWN
Author: Win Dows
Author-email: w@example.org
License: UNKNOWN
Description: First line
        second line
Platform: win32
Classifier: Operating System :: Microsoft :: Windows
""",
        crlf=True,
        sdist=True,
    ),
    Shape(
        "setuptools-1.1-multiline-license",
        "setuptools (2010s): the whole license text folded into License",
        f"""\
Metadata-Version: 1.1
Name: {{name}}
Version: {{version}}
Summary: A package that pasted its license
Home-page: https://example.org
Author: A. Author
Author-email: a@example.org
License: {MIT}
Description: UNKNOWN
Platform: UNKNOWN
""",
    ),
    # ------------------------------------------------------------ setuptools, Metadata 1.2
    Shape(
        "setuptools-1.2-requires-python",
        "setuptools 24-35: Metadata-Version 1.2 with Requires-Python",
        f"""\
Metadata-Version: 1.2
Name: {{name}}
Version: {{version}}
Summary: Needs a recent Python
Home-page: https://github.com/example/project
Author: Example
Author-email: dev@example.org
License: Apache 2.0
Description: {RST_IN_HEADER}
Platform: UNKNOWN
Classifier: Programming Language :: Python :: 2.7
Classifier: Programming Language :: Python :: 3
Requires-Python: >=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*
""",
        requires_python=">=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*",
        sdist=True,
    ),
    Shape(
        "setuptools-1.2-maintainer",
        "setuptools: Maintainer fields, Requires-Dist/Provides-Dist/Obsoletes-Dist",
        """\
Metadata-Version: 1.2
Name: {name}
Version: {version}
Summary: Maintained package
Home-page: https://example.org
Author: Original Author
Author-email: orig@example.org
Maintainer: Current Maintainer
Maintainer-email: maint@example.org
License: LGPL
Description: Maintained.
Requires-Dist: six
Provides-Dist: {name}
Obsoletes-Dist: oldname (<1.0)
Requires-External: libxml2 (>=2.6)
Requires-Python: >=3.4
""",
        requires_python=">=3.4",
    ),
    Shape(
        "setuptools-1.2-pipe-description",
        "setuptools 36: Description continued with seven spaces and a bar",
        """\
Metadata-Version: 1.2
Name: {name}
Version: {version}
Summary: Bar-continued description
Home-page: UNKNOWN
Author: UNKNOWN
Author-email: UNKNOWN
License: UNKNOWN
Description: Title
       |=====
       |
       |Paragraph.
Platform: UNKNOWN
Requires-Python: >=3.5
""",
        requires_python=">=3.5",
    ),
    # ------------------------------------------------------------ bdist_wheel, Metadata 2.0
    Shape(
        "wheel-0.24-2.0",
        "bdist_wheel 0.24-0.30: Metadata-Version 2.0, parenthesized requirements",
        """\
Metadata-Version: 2.0
Name: {name}
Version: {version}
Summary: Wheel built with wheel 0.29
Home-page: https://example.org
Author: Wheel User
Author-email: wheel@example.org
License: MIT
Platform: UNKNOWN
Classifier: License :: OSI Approved :: MIT License
Requires-Dist: six (>=1.9.0)
Provides-Extra: security
Requires-Dist: pyOpenSSL (>=0.14); extra == 'security'
Requires-Dist: idna (>=2.0.0); extra == 'security'

Long description in the body, as wheel moved it there.
""",
    ),
    Shape(
        "wheel-0.30-2.0-markers",
        "bdist_wheel 0.30: markers without extras, Requires-Python under 2.0",
        """\
Metadata-Version: 2.0
Name: {name}
Version: {version}
Summary: Environment markers
Home-page: UNKNOWN
Author: UNKNOWN
Author-email: UNKNOWN
License: UNKNOWN
Platform: UNKNOWN
Requires-Python: >=2.6, !=3.0.*, !=3.1.*, !=3.2.*
Requires-Dist: enum34; python_version < "3.4"
Requires-Dist: futures; python_version == "2.7"
Requires-Dist: pywin32 (>=223); sys_platform == "win32"

UNKNOWN

""",
        requires_python=">=2.6, !=3.0.*, !=3.1.*, !=3.2.*",
    ),
    # ------------------------------------------------------------ setuptools + wheel, 2.1
    Shape(
        "setuptools-2.1-license-file",
        "setuptools 56-68 + wheel: License-File under Metadata-Version 2.1 (mccabe, cycler)",
        """\
Metadata-Version: 2.1
Name: {name}
Version: {version}
Summary: McCabe checker, plugin for flake8
Home-page: https://github.com/example/project
Author: Tarek Ziade
Author-email: tarek@example.org
Maintainer: Ian Stapleton Cordasco
Maintainer-email: graffatcolmingov@example.org
License: Expat license
Keywords: flake8 mccabe
Classifier: Development Status :: 5 - Production/Stable
Classifier: Environment :: Console
Requires-Python: >=3.6
License-File: LICENSE

McCabe complexity checker
=========================

Ned's script to check McCabe complexity.
""",
        requires_python=">=3.6",
        sdist=True,
    ),
    Shape(
        "setuptools-2.1-two-license-files",
        "setuptools 57: several License-File fields and Description-Content-Type",
        """\
Metadata-Version: 2.1
Name: {name}
Version: {version}
Summary: Two license files
Home-page: https://example.org
Author: Someone
Author-email: someone@example.org
License: BSD-3-Clause
Project-URL: Documentation, https://example.org/docs
Project-URL: Source, https://github.com/example/project
Project-URL: Tracker, https://github.com/example/project/issues
Platform: UNKNOWN
Classifier: License :: OSI Approved :: BSD License
Requires-Python: >=3.7
Description-Content-Type: text/markdown
License-File: LICENSE
License-File: AUTHORS.rst
Provides-Extra: test
Requires-Dist: pytest (>=6) ; extra == 'test'
Requires-Dist: pytest-cov ; extra == 'test'

"""
        + README_MD,
        requires_python=">=3.7",
        sdist=True,
    ),
    Shape(
        "setuptools-2.1-order-kept",
        "setuptools: Requires-Python written '>=3.8,<4.0' (must be served in that order)",
        """\
Metadata-Version: 2.1
Name: {name}
Version: {version}
Summary: Order matters to humans
Requires-Python: >=3.8,<4.0
License-File: LICENSE.txt

Body.
""",
        requires_python=">=3.8,<4.0",
    ),
    Shape(
        "setuptools-2.1-jupyter",
        "setuptools 70: meta-package with only Requires-Dist (jupyter 1.1)",
        """\
Metadata-Version: 2.1
Name: {name}
Version: {version}
Summary: Jupyter metapackage. Install all the Jupyter components in one go.
Home-page: https://jupyter.org
Author: Jupyter Development Team
Author-email: jupyter@googlegroups.com
License: BSD
Keywords: Interactive,Interpreter,Shell,Web
Classifier: Intended Audience :: Developers
Classifier: License :: OSI Approved :: BSD License
Classifier: Programming Language :: Python :: 3
License-File: LICENSE
Requires-Dist: notebook
Requires-Dist: jupyter-console
Requires-Dist: nbconvert
Requires-Dist: ipykernel
Requires-Dist: ipywidgets
Requires-Dist: jupyterlab

Install the Jupyter system, including the notebook, qtconsole, and the IPython kernel.
""",
    ),
    Shape(
        "setuptools-2.1-empty-fields",
        "setuptools: empty Summary, Home-page, Author and Keywords",
        """\
Metadata-Version: 2.1
Name: {name}
Version: {version}
Summary: 
Home-page: 
Author: 
Author-email: 
License: 
Keywords: 
Platform: UNKNOWN

""",
    ),
    Shape(
        "setuptools-2.1-unknown-summary",
        "setuptools < 57: UNKNOWN everywhere, Metadata 2.1",
        """\
Metadata-Version: 2.1
Name: {name}
Version: {version}
Summary: UNKNOWN
Home-page: UNKNOWN
Author: UNKNOWN
Author-email: UNKNOWN
License: UNKNOWN
Platform: UNKNOWN

UNKNOWN

""",
        sdist=True,
    ),
    Shape(
        "setuptools-2.1-folded-summary",
        "setuptools: a Summary that was a multi-line string, folded",
        """\
Metadata-Version: 2.1
Name: {name}
Version: {version}
Summary: A summary written as a triple-quoted string
        that goes on to a second line
Author: Folder
Requires-Python: >=3.6

""",
        requires_python=">=3.6",
    ),
    Shape(
        "setuptools-2.1-tab-folding",
        "setuptools: a field continued with a tab",
        """\
Metadata-Version: 2.1
Name: {name}
Version: {version}
Summary: Tab folded
License: First line
\tsecond line after a tab

""",
    ),
    Shape(
        "setuptools-2.1-description-header-and-body",
        "setuptools: a Description header and a body both",
        f"""\
Metadata-Version: 2.1
Name: {{name}}
Version: {{version}}
Summary: Two descriptions
Description: {RST_IN_HEADER}
Description-Content-Type: text/x-rst

And a body too.
""",
    ),
    Shape(
        "setuptools-2.1-markdown-gfm",
        "setuptools: Description-Content-Type with charset and variant",
        """\
Metadata-Version: 2.1
Name: {name}
Version: {version}
Summary: GFM description
Description-Content-Type: text/markdown; charset=UTF-8; variant=GFM
Requires-Python: ~=3.7

"""
        + README_MD,
        requires_python="~=3.7",
    ),
    Shape(
        "setuptools-2.1-private-classifier",
        "setuptools: a private classifier PyPI would refuse, fine on a private index",
        """\
Metadata-Version: 2.1
Name: {name}
Version: {version}
Summary: Internal
Classifier: Private :: Do Not Upload
Classifier: Framework :: Not A Real Classifier

""",
    ),
    Shape(
        "setuptools-2.1-direct-url",
        "setuptools: a direct URL dependency (PyPI refuses those; a private index serves them)",
        """\
Metadata-Version: 2.1
Name: {name}
Version: {version}
Summary: Depends on a URL
Requires-Dist: internal-lib @ https://git.example.org/internal-lib/archive/v1.zip
Requires-Dist: other @ file:///srv/wheels/other-1.0-py3-none-any.whl ; sys_platform == "linux"

""",
    ),
    Shape(
        "setuptools-2.1-extras-markers",
        "setuptools: extras with brackets and complex markers",
        """\
Metadata-Version: 2.1
Name: {name}
Version: {version}
Summary: Complex requirements
Requires-Python: >=3.8
Provides-Extra: socks
Provides-Extra: all
Requires-Dist: requests[security,socks] (>=2.25.0,<3)
Requires-Dist: pywin32 >=300 ; platform_system == "Windows" and python_version < "3.12"
Requires-Dist: uvloop ; (sys_platform != "win32" and platform_python_implementation == "CPython") \
and extra == 'all'
Requires-Dist: PySocks!=1.5.7,>=1.5.6 ; extra == 'socks'
Requires-Dist: importlib-metadata>=4.0; python_version<"3.10"

""",
        requires_python=">=3.8",
    ),
    Shape(
        "setuptools-2.1-long-summary",
        "setuptools: a Summary over PyPI's 512 characters",
        "Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: "
        + "very long summary " * 40
        + "\n\n",
    ),
    Shape(
        "setuptools-2.1-long-project-url-label",
        "setuptools: a Project-URL label over 32 characters, and one without a comma",
        """\
Metadata-Version: 2.1
Name: {name}
Version: {version}
Summary: Odd project URLs
Project-URL: The Documentation Of This Project On Read The Docs, https://example.org/docs
Project-URL: https://example.org/no-label

""",
    ),
    Shape(
        "setuptools-2.1-keywords-spaces",
        "setuptools: space-separated Keywords and several Platform fields",
        """\
Metadata-Version: 2.1
Name: {name}
Version: {version}
Summary: Keywords with spaces
Keywords: web framework  wsgi   http
Platform: Linux
Platform: Mac OS X
Platform: Windows
Supported-Platform: RedHat 7.2

""",
    ),
    Shape(
        "setuptools-2.1-author-email-names",
        "setuptools: Author-email with names, quotes and commas",
        """\
Metadata-Version: 2.1
Name: {name}
Version: {version}
Summary: Many authors
Author: "Smith, Jane", Doe John
Author-email: "Smith, Jane" <jane@example.org>, John Doe <john@example.org>, plain@example.org
Maintainer-email: Team <team@example.org>

""",
    ),
    Shape(
        "setuptools-2.1-non-ascii",
        "setuptools: UTF-8 in Summary, Author, License and a body with CJK and emoji",
        """\
Metadata-Version: 2.1
Name: {name}
Version: {version}
Summary: Ein Paket für Übersetzungen — «traductions» ✓
Author: Jürgen Müller, 山田太郎
Author-email: Jürgen Müller <jm@example.org>
License: Licence française 🇫🇷
Keywords: übersetzung,翻訳,😀
Requires-Python: >=3.8

# Überschrift

日本語の説明です。 Emoji: 🐍✨
""",
        requires_python=">=3.8",
        sdist=True,
    ),
    Shape(
        "setuptools-2.1-crlf-body",
        "setuptools on Windows: CRLF line ends and a body",
        """\
Metadata-Version: 2.1
Name: {name}
Version: {version}
Summary: CRLF everywhere
Requires-Python: >=3.7
License-File: LICENSE

Body line one
Body line two
""",
        requires_python=">=3.7",
        crlf=True,
        sdist=True,
    ),
    Shape(
        "setuptools-2.1-no-final-newline",
        "a hand-edited file with no newline at its end",
        "Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: no newline",
    ),
    Shape(
        "setuptools-2.1-header-case",
        "an old tool writing header names in other cases",
        """\
metadata-version: 2.1
NAME: {name}
version: {version}
SUMMARY: Case-insensitive headers
requires-python: >=3.6

""",
        requires_python=">=3.6",
    ),
    Shape(
        "setuptools-2.1-unknown-fields",
        "setuptools plugins: unknown and misspelled fields",
        """\
Metadata-Version: 2.1
Name: {name}
Version: {version}
Summary: Extra headers
X-Generator: custom-plugin 1.0
Home-Page: https://example.org
Licence: British spelling
Requires-Python: >=3.6

""",
        requires_python=">=3.6",
    ),
    Shape(
        "setuptools-2.1-duplicate-summary",
        "a broken generator writing Summary twice",
        """\
Metadata-Version: 2.1
Name: {name}
Version: {version}
Summary: First
Summary: Second

""",
    ),
    Shape(
        "setuptools-2.1-many-classifiers",
        "setuptools: a hundred Classifier fields",
        "Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: Many classifiers\n"
        + "".join(f"Classifier: Topic :: Category {i} :: Sub {i}\n" for i in range(100))
        + "\n",
    ),
    Shape(
        "setuptools-2.1-big-description",
        "setuptools: a 200 kB README in the body",
        "Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: Big README\n"
        "Description-Content-Type: text/markdown\n\n" + ("Lorem ipsum dolor sit amet. " * 7000),
    ),
    Shape(
        "setuptools-2.1-body-blank-lines",
        "a body that starts and ends with blank lines",
        """\
Metadata-Version: 2.1
Name: {name}
Version: {version}
Summary: Blank lines



Text after blank lines.



""",
    ),
    Shape(
        "setuptools-2.1-spaced-requires-python",
        "setuptools: Requires-Python with spaces, written '>= 3.6, < 4'",
        """\
Metadata-Version: 2.1
Name: {name}
Version: {version}
Summary: Spaced specifiers
Requires-Python: >= 3.6, < 4

""",
        requires_python=">= 3.6, < 4",
    ),
    Shape(
        "setuptools-2.1-reversed-requires-python",
        "a Requires-Python written upper bound first, '<4,>=3.8'",
        """\
Metadata-Version: 2.1
Name: {name}
Version: {version}
Summary: Upper bound first
Requires-Python: <4,>=3.8

""",
        requires_python="<4,>=3.8",
    ),
    Shape(
        "setuptools-2.1-post-release",
        "setuptools: a post-release version",
        """\
Metadata-Version: 2.1
Name: {name}
Version: {version}
Summary: Post release
Requires-Python: >=3.6

""",
        requires_python=">=3.6",
        version="1.0.post1",
        sdist=True,
    ),
    Shape(
        "setuptools-2.1-local-version",
        "a local version label, as private indexes host (PyPI refuses those)",
        """\
Metadata-Version: 2.1
Name: {name}
Version: {version}
Summary: Local build

""",
        version="2.1.0+cpu",
    ),
    Shape(
        "setuptools-2.1-prerelease",
        "a release candidate",
        """\
Metadata-Version: 2.1
Name: {name}
Version: {version}
Summary: Pre-release
Requires-Python: >=3.9

""",
        requires_python=">=3.9",
        version="3.0rc2",
    ),
    # ------------------------------------------------------------ setuptools 2.2 (Dynamic)
    Shape(
        "setuptools-2.2-dynamic-license-file",
        "setuptools 75.x: Metadata 2.2 with License-File and Dynamic: license-file",
        """\
Metadata-Version: 2.2
Name: {name}
Version: {version}
Summary: The setuptools 75 shape twine stumbled on
Author-email: Someone <someone@example.org>
License: MIT
Classifier: Programming Language :: Python :: 3
Requires-Python: >=3.9
Description-Content-Type: text/markdown
License-File: LICENSE
Requires-Dist: typing-extensions>=4.0
Dynamic: license-file

"""
        + README_MD,
        requires_python=">=3.9",
        sdist=True,
    ),
    Shape(
        "setuptools-2.2-dynamic-fields",
        "setuptools 68+: several Dynamic fields in an sdist",
        """\
Metadata-Version: 2.2
Name: {name}
Version: {version}
Summary: Dynamic dependencies
Requires-Python: >=3.8
Dynamic: author
Dynamic: home-page
Dynamic: requires-dist
Dynamic: summary

""",
        requires_python=">=3.8",
        sdist=True,
    ),
    Shape(
        "scikit-build-core-2.2",
        "scikit-build-core 0.5 (pyproject-metadata): Metadata 2.2 with Dynamic",
        """\
Metadata-Version: 2.2
Name: {name}
Version: {version}
Summary: A compiled extension
Keywords: cmake,pybind11
Author-Email: Developer <dev@example.org>
License: BSD-3-Clause
Classifier: Programming Language :: C++
Project-URL: Homepage, https://github.com/example/project
Requires-Python: >=3.8
Provides-Extra: test
Requires-Dist: pytest>=6; extra == "test"
Dynamic: version
Description-Content-Type: text/markdown

"""
        + README_MD,
        requires_python=">=3.8",
    ),
    # ------------------------------------------------------------ flit
    Shape(
        "flit-2.1",
        "flit_core 3.2-3.8: Metadata 2.1, double-quoted extra markers, body description",
        """\
Metadata-Version: 2.1
Name: {name}
Version: {version}
Summary: Flit-built package
Author-email: Thomas Kluyver <thomas@example.org>
Requires-Python: >=3.7
Description-Content-Type: text/x-rst
Classifier: License :: OSI Approved :: BSD License
Requires-Dist: tomli ; python_version < "3.11"
Requires-Dist: pytest >= 2.7.3 ; extra == "test"
Requires-Dist: sphinx ; extra == "doc"
Project-URL: Documentation, https://flit.example.org
Project-URL: Source, https://github.com/example/flit
Provides-Extra: doc
Provides-Extra: test

A flit package
==============

Described in reStructuredText.
""",
        requires_python=">=3.7",
        sdist=True,
    ),
    Shape(
        "flit-old-1.2",
        "flit 0.x/1.x: Metadata-Version 1.2 with Description-Content-Type and body",
        """\
Metadata-Version: 1.2
Name: {name}
Version: {version}
Summary: Old flit
Home-page: https://example.org
Author: Thomas Kluyver
Author-email: thomas@example.org
Requires-Python: >=3
Description-Content-Type: text/markdown
Requires-Dist: requests

Old flit put the description in the body under 1.2.
""",
        requires_python=">=3",
    ),
    Shape(
        "flit-2.3",
        "flit_core 3.9: Metadata 2.3",
        """\
Metadata-Version: 2.3
Name: {name}
Version: {version}
Summary: Flit 3.9
Author-email: Dev <dev@example.org>
Requires-Python: >=3.8
Description-Content-Type: text/markdown
Classifier: Programming Language :: Python :: 3
Requires-Dist: attrs>=22
Project-URL: Home, https://example.org

"""
        + README_MD,
        requires_python=">=3.8",
    ),
    Shape(
        "flit-2.4",
        "flit_core 3.11: Metadata 2.4 with License-Expression and License-File",
        """\
Metadata-Version: 2.4
Name: {name}
Version: {version}
Summary: Flit 3.11
Author-email: Dev <dev@example.org>
Requires-Python: >=3.9
Description-Content-Type: text/markdown
License-Expression: MIT
License-File: LICENSE
Project-URL: Source, https://example.org/src

"""
        + README_MD,
        requires_python=">=3.9",
        sdist=True,
    ),
    # ------------------------------------------------------------ poetry-core
    Shape(
        "poetry-core-1-2.1",
        "poetry-core 1.x: '>=3.8,<4.0', parenthesized requirements, Home-page, Keywords",
        """\
Metadata-Version: 2.1
Name: {name}
Version: {version}
Summary: A Poetry project
Home-page: https://github.com/example/project
License: MIT
Keywords: poetry,packaging
Author: Sébastien Eustace
Author-email: sebastien@example.org
Requires-Python: >=3.8,<4.0
Classifier: License :: OSI Approved :: MIT License
Classifier: Programming Language :: Python :: 3
Classifier: Programming Language :: Python :: 3.8
Provides-Extra: docs
Requires-Dist: click (>=8.0,<9.0)
Requires-Dist: tomli (>=1.2) ; python_version < "3.11"
Requires-Dist: sphinx (>=5.0) ; extra == "docs"
Project-URL: Repository, https://github.com/example/project
Description-Content-Type: text/markdown

"""
        + README_MD,
        requires_python=">=3.8,<4.0",
        sdist=True,
    ),
    Shape(
        "poetry-core-1-caret",
        "poetry-core 1.x: caret constraint rendered as '>=3.7,<4.0' and no body",
        """\
Metadata-Version: 2.1
Name: {name}
Version: {version}
Summary: 
Author: Poet
Author-email: poet@example.org
Requires-Python: >=3.7,<4.0
Classifier: Programming Language :: Python :: 3
Requires-Dist: httpx (>=0.23.0,<0.24.0)
""",
        requires_python=">=3.7,<4.0",
    ),
    Shape(
        "poetry-core-2-2.3",
        "poetry-core 2.0: Metadata 2.3, PEP 621 fields, no parentheses",
        """\
Metadata-Version: 2.3
Name: {name}
Version: {version}
Summary: Poetry 2
License: MIT
Author: Poet
Author-email: poet@example.org
Requires-Python: >=3.9
Classifier: License :: OSI Approved :: MIT License
Classifier: Programming Language :: Python :: 3.9
Provides-Extra: fast
Requires-Dist: orjson>=3.9 ; extra == "fast"
Requires-Dist: pydantic>=2.0
Project-URL: Homepage, https://example.org
Description-Content-Type: text/markdown

"""
        + README_MD,
        requires_python=">=3.9",
    ),
    Shape(
        "poetry-core-2-2.4",
        "poetry-core 2.1: Metadata 2.4 with License-Expression",
        """\
Metadata-Version: 2.4
Name: {name}
Version: {version}
Summary: Poetry 2.1
License-Expression: Apache-2.0 OR MIT
License-File: LICENSE-APACHE
License-File: LICENSE-MIT
Author: Poet
Author-email: poet@example.org
Requires-Python: >=3.9,<3.14
Requires-Dist: rich>=13
Description-Content-Type: text/markdown

Body.
""",
        requires_python=">=3.9,<3.14",
    ),
    # ------------------------------------------------------------ hatchling
    Shape(
        "hatchling-2.1-license-file",
        "hatchling 1.0-1.21: Metadata 2.1 with License-File and License-Expression",
        """\
Metadata-Version: 2.1
Name: {name}
Version: {version}
Summary: Built with hatchling
Project-URL: Documentation, https://example.org/docs
Project-URL: Issues, https://example.org/issues
Author-email: Ofek Lev <ofek@example.org>
License-Expression: MIT
License-File: LICENSE.txt
Keywords: build,hatch
Classifier: Programming Language :: Python :: 3
Requires-Python: >=3.8
Requires-Dist: packaging>=21.3
Provides-Extra: dev
Requires-Dist: pytest; extra == 'dev'
Description-Content-Type: text/markdown

"""
        + README_MD,
        requires_python=">=3.8",
        sdist=True,
    ),
    Shape(
        "hatchling-2.3",
        "hatchling 1.22-1.26: Metadata 2.3",
        """\
Metadata-Version: 2.3
Name: {name}
Version: {version}
Summary: Hatchling 1.25
Project-URL: Source, https://example.org
Author-email: A <a@example.org>, B <b@example.org>
License-Expression: BSD-3-Clause
License-File: LICENSE
Requires-Python: >=3.8
Requires-Dist: anyio<5,>=3.5.0
Description-Content-Type: text/markdown

"""
        + README_MD,
        requires_python=">=3.8",
    ),
    Shape(
        "hatchling-2.4",
        "hatchling 1.27: Metadata 2.4, License-File in licenses/",
        """\
Metadata-Version: 2.4
Name: {name}
Version: {version}
Summary: Hatchling 1.27
Project-URL: Homepage, https://example.org
Author-email: Dev <dev@example.org>
License-Expression: MIT
License-File: LICENSE.txt
License-File: licenses/NOTICE
Classifier: Development Status :: 4 - Beta
Requires-Python: >=3.9
Requires-Dist: httpx>=0.27
Provides-Extra: cli
Requires-Dist: typer>=0.12; extra == 'cli'
Description-Content-Type: text/markdown

"""
        + README_MD,
        requires_python=">=3.9",
        sdist=True,
    ),
    Shape(
        "hatchling-dynamic",
        "hatchling sdist: Dynamic under 2.1",
        """\
Metadata-Version: 2.1
Name: {name}
Version: {version}
Summary: Dynamic under 2.1
Dynamic: Requires-Dist
Requires-Python: >=3.7

""",
        requires_python=">=3.7",
        sdist=True,
    ),
    # ------------------------------------------------------------ pdm-backend
    Shape(
        "pdm-backend-2.1",
        "pdm-backend 2.0: Metadata 2.1, License-File, Project-URL",
        """\
Metadata-Version: 2.1
Name: {name}
Version: {version}
Summary: PDM-built
Author-Email: Frost Ming <me@example.org>
License: MIT
Classifier: Programming Language :: Python :: 3
Project-URL: Homepage, https://pdm-project.org
Requires-Python: >=3.8
Requires-Dist: tomli>=1.1.0; python_version < "3.11"
Provides-Extra: test
Requires-Dist: pytest; extra == "test"
Description-Content-Type: text/markdown

"""
        + README_MD,
        requires_python=">=3.8",
        sdist=True,
    ),
    Shape(
        "pdm-backend-2.4",
        "pdm-backend 2.4: Metadata 2.4",
        """\
Metadata-Version: 2.4
Name: {name}
Version: {version}
Summary: PDM 2.4
Author-Email: Dev <dev@example.org>
License-Expression: MIT
License-File: LICENSE
Requires-Python: >=3.9
Description-Content-Type: text/markdown

Body.
""",
        requires_python=">=3.9",
    ),
    Shape(
        "pdm-legacy-2.1-dynamic",
        "pdm-pep517 1.x: Dynamic and License-Expression under 2.1",
        """\
Metadata-Version: 2.1
Name: {name}
Version: {version}
Summary: pdm-pep517
License-Expression: MIT
Dynamic: Version
Requires-Python: >=3.7

""",
        requires_python=">=3.7",
    ),
    # ------------------------------------------------------------ maturin
    Shape(
        "maturin-2.1",
        "maturin 0.14-1.4: Metadata 2.1 with License-File and a GFM content type",
        """\
Metadata-Version: 2.1
Name: {name}
Version: {version}
Classifier: Programming Language :: Rust
Classifier: Programming Language :: Python :: Implementation :: CPython
Requires-Dist: typing-extensions ; python_version < '3.10'
Requires-Dist: pytest ; extra == 'test'
Provides-Extra: test
License-File: LICENSE
Summary: Fast thing written in Rust
Keywords: rust,fast
Home-Page: https://github.com/example/project
Author: Rustacean <rust@example.org>
Author-email: Rustacean <rust@example.org>
License: MIT
Requires-Python: >=3.8
Description-Content-Type: text/markdown; charset=UTF-8; variant=GFM
Project-URL: Source Code, https://github.com/example/project

"""
        + README_MD,
        requires_python=">=3.8",
    ),
    Shape(
        "maturin-2.3",
        "maturin 1.5-1.7: Metadata 2.3",
        """\
Metadata-Version: 2.3
Name: {name}
Version: {version}
Classifier: Programming Language :: Rust
License-File: LICENSE-MIT
License-File: LICENSE-APACHE
Summary: Maturin 1.5
Author-email: Dev <dev@example.org>
License: MIT OR Apache-2.0
Requires-Python: >=3.8
Description-Content-Type: text/markdown; charset=UTF-8; variant=GFM

"""
        + README_MD,
        requires_python=">=3.8",
    ),
    Shape(
        "maturin-2.4",
        "maturin 1.8: Metadata 2.4",
        """\
Metadata-Version: 2.4
Name: {name}
Version: {version}
Classifier: Programming Language :: Rust
License-File: LICENSE
Summary: Maturin 1.8
Author-email: Dev <dev@example.org>
License-Expression: MIT
Requires-Python: >=3.9
Description-Content-Type: text/markdown; charset=UTF-8; variant=GFM

Body.
""",
        requires_python=">=3.9",
    ),
    # ------------------------------------------------------------ scikit-build-core, newer
    Shape(
        "scikit-build-core-2.1",
        "scikit-build-core 0.1-0.4: Metadata 2.1, License-File",
        """\
Metadata-Version: 2.1
Name: {name}
Version: {version}
Summary: CMake extension
Author-Email: Henry Schreiner <henry@example.org>
License: Apache-2.0
Classifier: Programming Language :: C++
Requires-Python: >=3.7
License-File: LICENSE
Description-Content-Type: text/markdown

Body.
""",
        requires_python=">=3.7",
    ),
    Shape(
        "scikit-build-core-2.4",
        "scikit-build-core 0.11: Metadata 2.4 with License-Expression and Dynamic",
        """\
Metadata-Version: 2.4
Name: {name}
Version: {version}
Summary: CMake extension, 2.4
Author-Email: Dev <dev@example.org>
License-Expression: BSD-3-Clause
License-File: LICENSE
Requires-Python: >=3.9
Dynamic: Version
Description-Content-Type: text/markdown

Body.
""",
        requires_python=">=3.9",
        sdist=True,
    ),
    # ------------------------------------------------------------ setuptools 77+, Metadata 2.4
    Shape(
        "setuptools-2.4",
        "setuptools 77+: Metadata 2.4, License-Expression, Dynamic: license-file",
        """\
Metadata-Version: 2.4
Name: {name}
Version: {version}
Summary: Setuptools 77
Author-email: Dev <dev@example.org>
License-Expression: Apache-2.0
Project-URL: Homepage, https://example.org
Classifier: Programming Language :: Python :: 3
Requires-Python: >=3.9
Description-Content-Type: text/x-rst
License-File: LICENSE
License-File: NOTICE
Requires-Dist: urllib3<3,>=1.21.1
Provides-Extra: socks
Requires-Dist: PySocks!=1.5.7,>=1.5.6; extra == "socks"
Dynamic: license-file

Setuptools 77
=============
""",
        requires_python=">=3.9",
        sdist=True,
    ),
    Shape(
        "uv-build-2.4",
        "uv_build 0.7: Metadata 2.4, minimal",
        """\
Metadata-Version: 2.4
Name: {name}
Version: {version}
Summary: Add your description here
Requires-Python: >=3.12
Description-Content-Type: text/markdown

""",
        requires_python=">=3.12",
    ),
    # ------------------------------------------------------------ Metadata 2.5 (PEP 794)
    Shape(
        "metadata-2.5-import-names",
        "Metadata 2.5 (PEP 794): Import-Name and Import-Namespace",
        """\
Metadata-Version: 2.5
Name: {name}
Version: {version}
Summary: Import names declared
License-Expression: MIT
License-File: LICENSE
Import-Name: {name}
Import-Name: {name}._private; private
Import-Namespace: ns
Requires-Python: >=3.10

""",
        requires_python=">=3.10",
        sdist=True,
    ),
    Shape(
        "metadata-2.5-no-imports",
        "Metadata 2.5: an empty Import-Name (installs no importable name)",
        """\
Metadata-Version: 2.5
Name: {name}
Version: {version}
Summary: A plugin with data only
Import-Name: 

""",
    ),
    Shape(
        "metadata-2.9-future-minor",
        "a future 2.x minor version (readers must accept newer minor versions)",
        """\
Metadata-Version: 2.9
Name: {name}
Version: {version}
Summary: From the future
Some-Future-Field: value
Requires-Python: >=3.11

""",
        requires_python=">=3.11",
    ),
    # ------------------------------------------------------------ names and minimal files
    Shape(
        "name-unnormalized",
        "a Name spelled with dots and capitals (the filename normalizes it)",
        """\
Metadata-Version: 2.1
Name: {name}
Version: {version}
Summary: Dotted name

""",
    ),
    Shape(
        "minimal-1.0",
        "the three required fields of Metadata 1.0",
        "Metadata-Version: 1.0\nName: {name}\nVersion: {version}\n",
        sdist=True,
    ),
    Shape(
        "minimal-2.1",
        "the required fields of Metadata 2.1",
        "Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
    ),
    Shape(
        "control-characters",
        "a generator that let NUL and DEL into Summary and Author (PyPI escapes NUL, accepts)",
        "Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: nul\x00 del\x7f\n"
        "Author: a\x00b\n",
    ),
    Shape(
        "requires-python-unknown",
        "a generator that wrote Requires-Python: UNKNOWN (PyPI drops UNKNOWN values)",
        "Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nRequires-Python: UNKNOWN\n",
    ),
    Shape(
        "requires-python-empty",
        "an empty Requires-Python",
        "Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nRequires-Python: \n",
    ),
    Shape(
        "requires-python-html",
        "a Requires-Python whose '<' and '>' need escaping in HTML: '>3.7,<4,!=3.9.*'",
        "Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        "Requires-Python: >3.7,<4,!=3.9.*\n",
        requires_python=">3.7,<4,!=3.9.*",
    ),
]
