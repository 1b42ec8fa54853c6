"""How a firing (a reminder, prompt, chase or cut-off) stands when a tick handles it.

A tick that runs late, after the bot was down, still handles every firing once: a little
late is still worth posting, and is said to be late; past the grace it is recorded as
missed, and each due source says what a missed firing means for it.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum


class FireStatus(StrEnum):
    ON_TIME = "on_time"
    LATE = "late"
    MISSED = "missed"


def fire_status(lateness: timedelta, late_after: timedelta, grace: timedelta) -> FireStatus:
    """How a firing handled ``lateness`` after it fell due stands."""
    if lateness > grace:
        return FireStatus.MISSED
    return FireStatus.LATE if lateness > late_after else FireStatus.ON_TIME
