"""Every compiled pattern of filters/ on hostile strings (benchmarks/bench_hostile_regex.py's set,
5,000 characters here): a pattern that backtracks without bound hangs, and the timeout turns that
into a failure. The time bound itself is measured at 100 KB in the benchmark."""
import pytest

from benchmarks.bench_hostile_regex import WINDOWED, filter_patterns, hostile_strings


@pytest.mark.timeout(120)
def test_no_pattern_backtracks_without_bound():
    strings = hostile_strings(5_000)
    patterns = filter_patterns()
    assert len(patterns) >= 50 and {"pii._INTL", "spam._HANDLE", "quality._EMAIL_DOMAIN"} <= set(patterns)
    for name, pattern in patterns.items():
        window = WINDOWED.get(name)
        for s in strings.values():
            if window:
                for i in range(0, len(s), 7):
                    pattern.match(s, i, i + window)
            else:
                for _ in pattern.finditer(s):
                    pass
