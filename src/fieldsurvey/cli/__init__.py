"""The ``fieldsurvey`` command: thin argparse wrappers over the library."""
