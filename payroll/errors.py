"""The two ways a close stops, each with a message meant for the person running it."""


class CloseRefused(Exception):
    """The close must not happen (month already closed, out of order...): nothing was changed."""


class CloseFailed(Exception):
    """The close could not be completed (pipeline failed, bad parameters...): no package was written."""
