"""``python -m fieldsurvey`` runs the command line."""

from fieldsurvey.cli.main import run

run()
