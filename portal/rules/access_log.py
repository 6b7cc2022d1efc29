"""When reading customer data looks like carrying it away: the access log's alert thresholds."""
from statistics import median

MINIMUM_THRESHOLD = 100
MEDIAN_FACTOR = 3
MEDIAN_DAYS = 30


def alert_threshold(setting: int, daily_counts: list[int], days: int = MEDIAN_DAYS) -> int:
    """The count above which a person's day raises an alert.

    threshold = setting                                       when the setting is above 0
    threshold = max(100, 3 × median(daily counts of the last 30 days))   otherwise

    ``daily_counts`` are the person's counts of the days before today that have any; the days of
    the 30 without one count as 0.
    """
    if setting > 0:
        return setting
    counts = list(daily_counts)[-days:]
    counts += [0] * (days - len(counts))
    return max(MINIMUM_THRESHOLD, MEDIAN_FACTOR * int(median(counts)))


def raises_alert(count: int, threshold: int) -> bool:
    """An alert when the day's count is above the threshold (at the threshold: none)."""
    return count > threshold
