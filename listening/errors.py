"""Domain errors, each carrying one clear sentence for the person who sent the input, and the text checks."""


class ListeningError(ValueError):
    """Input the coach cannot use; str(error) is a sentence fit to show a user."""


class InputError(ListeningError):
    """An empty, over-long or malformed disclosure or reply."""


MAX_REPLY_CHARS = 5000
MAX_DISCLOSURE_CHARS = 5000


def check_text(text: object, what: str, limit: int) -> str:
    """The text itself, or InputError saying in one sentence why it cannot be read."""
    if not isinstance(text, str):
        raise InputError(f"The {what} must be text.")
    if "\x00" in text:
        raise InputError(f"The {what} contains a NUL byte, which is not text.")
    if not text.strip():
        raise InputError(f"The {what} is empty.")
    if len(text) > limit:
        raise InputError(f"The {what} is {len(text):,} characters long; the limit is {limit:,}.")
    return text
