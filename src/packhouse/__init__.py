"""Packhouse: a self-hosted Python package repository server."""

__version__ = "0.1.0"
