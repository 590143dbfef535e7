"""Names from data drawn by matplotlib as they are: no mathtext, no TeX.

matplotlib parses text between ``$`` signs as mathtext, so a site id ``$\\bar$`` raised a
ParseSyntaxException after the solve (and ``$x$`` would be drawn as maths). Every figure the
tool draws is made inside :func:`plain_text` (``text.parse_math`` off), so any name is drawn
literally and no name can stop a run in a renderer.
"""
from __future__ import annotations

import functools

import matplotlib

PLAIN = {"text.parse_math": False, "text.usetex": False}


def plain_text(draw):
    """Decorator: run ``draw`` with matplotlib's mathtext and TeX off (:data:`PLAIN`)."""
    @functools.wraps(draw)
    def wrapper(*args, **kwargs):
        with matplotlib.rc_context(PLAIN):
            return draw(*args, **kwargs)
    return wrapper
