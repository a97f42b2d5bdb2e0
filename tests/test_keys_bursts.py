"""tui.keys.Bursts, fed keys with the arrival times a real terminal gives them: which text before a
scan a person typed (a filter the scan replaces), and which came with the scan itself."""

from __future__ import annotations

from textual import events

from tui.keys import BURST_GAP, TYPED_PAUSE, Bursts


def feed(bursts: Bursts, keys: list[tuple[float, str]], value: str = "") -> str:
    """Each (time in seconds, character) into ``bursts`` as a field would; returns the field's text."""
    for at, ch in keys:
        event = events.Key(ch, ch)
        event.time = at
        bursts.key(event, value)
        value += ch
    return value


def scan(code: str, start: float, per_key: float = 0.001) -> list[tuple[float, str]]:
    return [(start + i * per_key, ch) for i, ch in enumerate(code)]


def test_a_filter_typed_by_hand_then_a_scan_is_the_typed_text():
    b = Bursts()
    typed = [(0.0, "P"), (0.125, "-"), (0.25, "0")]  # a person, ~8 keys a second
    text = feed(b, typed + scan("P-0005", 0.25 + TYPED_PAUSE + 0.5))
    assert text == "P-0P-0005" and b.typed_prefix() == "P-0"


def test_a_scan_whose_first_character_came_in_an_earlier_packet_has_no_typed_prefix():
    b = Bursts()
    text = feed(b, [(0.0, "B")] + scan("-0076", 0.08))  # the rest 80 ms later: the network, not a person
    assert text == "B-0076" and b.typed_prefix() == ""


def test_a_key_that_followed_a_terminator_at_a_scanners_pace_is_the_next_scan():
    b = Bursts()
    feed(b, scan("B-0075", 0.0))
    b.reset()  # its Enter, within the burst
    text = feed(b, [(0.006 + BURST_GAP / 2, "B")] + scan("-0076", 0.5))  # the rest after a long stall
    assert text == "B-0076" and b.typed_prefix() == ""
