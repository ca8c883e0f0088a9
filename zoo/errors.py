"""Errors a user can cause and fix. The ``zoo`` command prints them as one line, not a traceback."""


class ZooError(ValueError):
    """A problem with the user's input (recipe, data, files) with a message that says what to do.

    A ``ValueError``, so Python callers can catch it as the usual bad-argument error.
    """
