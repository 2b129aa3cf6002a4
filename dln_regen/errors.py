"""Exceptions that the command line turns into one-line messages."""


class InputError(ValueError):
    """Bad input from the user: a file, an option or a value that cannot be used."""


class RunStoreError(InputError):
    """A run folder or store that cannot be resumed."""


class RunInterrupted(Exception):
    """A run stopped by Ctrl-C; ``command`` finishes it from its run folder."""

    def __init__(self, command: str):
        super().__init__(command)
        self.command = command
