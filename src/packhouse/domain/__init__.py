"""Pure domain: names, filenames, metadata, digests, roles and pages; no I/O."""
