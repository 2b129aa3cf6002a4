"""Exceptions that the command line turns into one-line messages."""


class InputError(ValueError):
    """Bad input from the user: a file, an option or a value that cannot be used."""


class RunStoreError(InputError):
    """A run folder or store that cannot be resumed."""
