"""Domain errors, each carrying one clear sentence for the person who sent the input."""


class ListeningError(ValueError):
    """Input the coach cannot use; str(error) is a sentence fit to show a user."""


class InputError(ListeningError):
    """An empty, over-long or malformed disclosure or reply."""
