"""Why each finding matters and what to try instead, written for this reply.

Pure functions of the label, the evidence and the disclosure: the
alternative quotes the words that carried the barrier and offers a
reflect-first reply built from the partner's own words, turned around
("I feel like I'm failing" becomes "you feel like you're failing").
"""

from __future__ import annotations

import re
import zlib

from listening.labels import BY_NAME

FEELING_WORDS = (
    "stress", "anxious", "anxiety", "scared", "afraid", "fear", "worried", "worry", "hurt", "sad", "lonely",
    "alone", "angry", "furious", "upset", "exhausted", "tired", "overwhelmed", "ashamed", "embarrassed",
    "guilty", "jealous", "failing", "failure", "lost", "stuck", "invisible", "ignored", "frustrated",
    "heartbroken", "devastated", "miss", "cry", "crying", "panic", "terrified", "nervous", "excited",
    "proud", "happy", "thrilled", "relieved", "drained", "numb", "hopeless", "useless", "feel", "felt",
)
_SWAP = {
    "i": "you", "me": "you", "my": "your", "mine": "yours", "myself": "yourself", "i'm": "you're",
    "im": "you're", "i've": "you've", "i'd": "you'd", "i'll": "you'll",
    "you": "I", "your": "my", "yours": "mine", "yourself": "myself", "you're": "I'm", "you've": "I've",
    "you'd": "I'd", "you'll": "I'll", "we": "we", "our": "our",
}
_WORD = re.compile(r"[A-Za-z']+|[^A-Za-z']+")
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")
LEADING = re.compile(r"^[\s,;:.\-—–]*(?:(?:but|and|so|though|also|plus|then|or)\b[\s,]*)?", re.IGNORECASE)
TRAILING = re.compile(r"[\s,;:\-—–]+$")


def tidy(reply: str, start: int, end: int) -> tuple[int, int]:
    """Shrink a segment to its words: no leading conjunction or punctuation, no trailing comma."""
    text = reply[start:end]
    lead = LEADING.match(text)
    cut = lead.end() if lead and lead.end() < len(text) else 0
    trail = TRAILING.search(text[cut:])
    stop = cut + trail.start() if trail else len(text)
    if stop <= cut:
        return start, end
    return start + cut, start + stop


def swap_person(text: str) -> str:
    """Turn the speaker's words into the listener's: I -> you, my -> your, you -> I."""
    out: list[str] = []
    previous = ""  # the last word written, after swapping
    for piece in _WORD.findall(text):
        key = piece.lower().replace("\u2019", "'")
        if not piece.strip() or not piece[0].isalpha() and piece[0] != "'":
            out.append(piece)
            continue
        word = _SWAP.get(key, piece)
        if key in ("am", "was", "were"):  # the verb agrees with the pronoun just swapped
            word = {"you": "were" if key != "am" else "are", "I": "was" if key == "were" else "am"}.get(previous, piece)
        out.append(word)
        previous = word
    return "".join(out)


FILLER_OPENINGS = ("sorry", "ok", "okay", "so ", "anyway", "hey", "um", "hi", "can i", "i need to say", "honestly")
LOWER_FIRST = {"you", "your", "you're", "you've", "you'd", "you'll", "it", "it's", "the", "this", "that", "there",
               "everything", "nothing", "everyone", "we", "our", "we're", "all", "every", "some", "since", "when"}


# Names the speaker calls themselves ("like an idiot"): said back by the listener they become the listener's verdict.
SELF_INSULT = re.compile(
    r",?\s+like\s+(?:a\s+|an\s+|such\s+an?\s+|a\s+(?:total|complete|right)\s+)?"
    r"(?:idiot|fool|mug|numpty|muppet|loser|moron|eejit|twit|plonker|prat)\b",
    re.IGNORECASE)


def without_self_insult(text: str) -> str:
    """The speaker's words without the names they call themselves."""
    return SELF_INSULT.sub("", text)


def heart_of(disclosure: str) -> str:
    """The sentence of the disclosure that carries the most feeling, in the listener's words."""
    sentences = [s.strip() for s in _SENTENCE.findall(disclosure) if s.strip()]
    if not sentences:
        return ""

    def weight(sentence: str) -> tuple:
        low = sentence.lower()
        feeling = sum(word in low for word in FEELING_WORDS)
        filler = low.startswith(FILLER_OPENINGS) or len(low.split()) < 4
        # most feeling first; then a sentence with content over an apology or a greeting; then the longer
        return feeling, not filler, min(len(low.split()), 22)

    best = without_self_insult(max(sentences, key=weight))
    words = best.rstrip(".!?").split()[:22]
    sentence = swap_person(" ".join(words))
    first = sentence.split(" ", 1)[0]
    return sentence[0].lower() + sentence[1:] if first.lower() in LOWER_FIRST else sentence


def complaint_of(disclosure: str) -> str:
    """The sentence where the partner names what the listener did, in the listener's words."""
    sentences = [s.strip() for s in _SENTENCE.findall(disclosure) if s.strip()]
    about_you = [s for s in sentences if re.search(r"\b(you|your|you're|u)\b", s, re.IGNORECASE)]
    if not about_you:
        return ""
    words = without_self_insult(about_you[0]).rstrip(".!?").split()[:22]
    return swap_person(" ".join(words))


def _pick(options: tuple[str, ...], key: str) -> str:
    return options[zlib.crc32(key.encode("utf-8")) % len(options)]


def _quote(text: str, limit: int = 70) -> str:
    text = " ".join(text.split())
    return f"“{text[:limit - 1]}…”" if len(text) > limit else f"“{text}”"


WHY = {
    "judgment": "A verdict on them, even a mild one, tells them it is not safe to keep talking.",
    "defensiveness": "When you defend yourself first, the conversation becomes about who is right and their hurt goes unheard.",
    "premature_advice": "A fix offered before they feel understood tells them the feeling was a problem to close, not something you heard.",
    "minimizing": "Shrinking the feeling, however kindly meant, tells them they are wrong to feel it.",
    "self_focus": "Moving to your own story takes the floor from them just when they opened up.",
}
SKILL_NOTES = {
    "validation": "You told them the feeling makes sense: that is what lets people keep talking.",
    "reflection": "You put their experience into your own words, so they can tell you were following.",
    "open_question": "You invited them to say more, in their own terms.",
}


def why(label: str) -> str:
    return WHY[label]


def skill_note(label: str) -> str:
    return SKILL_NOTES[label]


def alternative(label: str, evidence: str, disclosure: str, implicated: bool = False) -> str:
    """One concrete thing to try instead of the words in ``evidence``, for this disclosure."""
    heart = heart_of(disclosure)
    mirror = f"It sounds like {heart}." if heart and not heart.lower().startswith(("what", "how", "why")) else ""
    quoted = _quote(evidence)
    key = evidence + disclosure
    if label == "premature_advice":
        opener = _pick(("What feels hardest about it right now?", "What's been the worst part of it?",
                        "How are you holding up with all this?"), key)
        return (f"Hold {quoted} for later and reflect first: “{mirror} {opener}” "
                "If they ask what you'd do, that is the moment for the idea.").replace("“ ", "“")
    if label == "judgment":
        return (f"Leave out {quoted} and stay with what they are living: “{mirror} "
                f"{_pick(('That makes sense to me.', 'I can see why that got to you.', 'No wonder it weighs on you.'), key)}”"
                ).replace("“ ", "“")
    if label == "defensiveness":
        raised = complaint_of(disclosure)
        complaint = f"“You're right: {raised}. I can see that hurt, and I want to hear how it was for you.”" \
            if raised else "“I can see that hurt. Tell me how it was for you.”"
        return f"Set aside {quoted} for now; your side can wait until they feel heard. Try: {complaint}"
    if label == "minimizing":
        return (f"Instead of {quoted}, let the feeling be as big as it is: “{mirror} "
                f"{_pick(('That is a lot to carry.', 'It makes sense that it hurts this much.', 'Of course that shook you.'), key)}”"
                ).replace("“ ", "“")
    if label == "self_focus":
        return (f"Keep {quoted} for another time and hand the conversation back: “{mirror} "
                f"{_pick(('What has it been like for you?', 'Tell me more about how it felt.', 'What is on your mind most?'), key)}”"
                ).replace("“ ", "“")
    raise KeyError(label)


def summary(flags: list[str], skills: list[str]) -> str:
    """One line on the reply as a whole."""
    def names(labels: list[str]) -> str:
        titles = [BY_NAME[l].title.lower() for l in labels]
        return titles[0] if len(titles) == 1 else ", ".join(titles[:-1]) + " and " + titles[-1]

    if skills and not flags:
        return f"Good listening: {names(skills)}, with nothing getting in the way."
    if skills and flags:
        return f"A good start ({names(skills)}), but {names(flags)} gets in the way."
    if flags:
        return f"This reply gets in the way of listening: {names(flags)}. Try the alternatives below."
    return "Nothing gets in the way, but nothing shows you heard them yet: name the feeling or ask about it."
