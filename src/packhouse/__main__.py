"""``python -m packhouse`` runs the CLI."""

from packhouse.cli import main

main()
