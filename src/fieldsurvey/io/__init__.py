"""Read the inputs: community boundaries and dwelling listings, in every supported
format, encoding and coordinate system."""

from __future__ import annotations

from fieldsurvey.io.boundaries import Boundaries, read_boundaries
from fieldsurvey.io.listings import read_listing
from fieldsurvey.io.normalise import normalise_listing

__all__ = ["Boundaries", "normalise_listing", "read_boundaries", "read_listing"]
