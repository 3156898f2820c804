from listening.explain import alternative, heart_of, swap_person, tidy


def test_swap_person_turns_the_speakers_words_around():
    assert swap_person("I feel like I'm failing at my job") == "you feel like you're failing at your job"
    assert swap_person("You never ask about my day") == "I never ask about your day"


def test_heart_of_picks_the_feeling_sentence():
    disclosure = "Work was busy today. I feel so alone since the move. Anyway."
    assert heart_of(disclosure) == "you feel so alone since the move"


def test_the_mirror_leaves_out_what_the_speaker_calls_themselves():
    disclosure = "I replied with three heart emojis like an idiot and I've been sitting in the car park ever since."
    assert heart_of(disclosure) == "you replied with three heart emojis and you've been sitting in the car park ever since"
    assert "idiot" not in alternative("premature_advice", "Just text her back.", disclosure)
    # a feeling named with "like" stays: only the insult goes
    assert heart_of("I feel like a robot at work, honestly.") == "you feel like a robot at work, honestly"


def test_tidy_drops_leading_conjunctions_and_trailing_commas():
    reply = "That sounds hard, but you should talk to HR, "
    start, end = tidy(reply, 17, len(reply))
    assert reply[start:end] == "you should talk to HR"


def test_alternatives_are_written_for_the_reply_and_the_disclosure():
    stressed = "I'm so stressed about work, I feel like I'm failing."
    first = alternative("premature_advice", "you should talk to HR", stressed)
    assert "you should talk to HR" in first and "you feel like you're failing" in first
    other = alternative("premature_advice", "just take a holiday", "My sister stopped talking to me and I'm hurt.")
    assert "just take a holiday" in other and "hurt" in other and other != first
    complaint = alternative("defensiveness", "I was busy!", "You didn't call me on my birthday. It hurt.")
    assert "I didn't call you on your birthday" in complaint
