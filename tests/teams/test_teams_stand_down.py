"""Teams: closing an incident archives its Graph channel after the closing post and the
summary card's edit, and a record taken away after that comes to the chat it was asked in,
with the file consent card (tests/teams/test_teams_files.py follows it to the file)."""

from __future__ import annotations

from tests.fakes.fake_teams import FakeConnector
from tests.fakes.teams_world import CHANNEL_NAME, TeamsWorld, _flat, declare, run, teams

INC = "INC-2026-001"
__all__ = ["teams"]  # the fixture, used by name


def test_closing_archives_the_channel_and_records_are_named(teams: TeamsWorld) -> None:
    declare(teams, exercise=True)
    graph = teams.graph
    graph.wait_for(lambda g: g.named(f"exercise-{CHANNEL_NAME}"[:50]) is not None)
    channel = graph.named(f"exercise-{CHANNEL_NAME}"[:50])
    assert channel is not None
    # The return to normal operations is decided by IMT and the TCG chair (3.26).
    run(
        teams,
        "hana",
        f'deescalate {INC} --to normal --rationale "No new reports" --scg "David agreed" '
        '--criteria "No reports for a month" --rhythm reduced',
        "needs approval",
    )
    run(teams, "hana", f"deescalate {INC} approve", "Awaiting the TCG chair")
    run(teams, "fatima", f"deescalate {INC} approve", "de-escalated to Normal operations")
    run(
        teams,
        "hana",
        f'close {INC} --reason "Back to normal" --review "2026-12-15 10:00"',
        f"{INC} closed by Hana Patel",
    )
    graph.wait_for(lambda g: bool(channel.get("isArchived")))
    archived = [c for c in graph.calls if c.path.endswith("/archive")]
    assert [c.status for c in archived] == [202]
    # The closing note and the summary's edit reached the channel before it was archived.
    teams.said(channel["id"], f"{INC} closed by Hana Patel")
    summary = teams.connector.posts(channel["id"])[0]
    assert "Closed incident · closed Mon 23 Nov 2026" in _flat(summary)

    run(teams, "ian", f"export {INC} timeline", "3 files from INC-2026-001")
    chat = teams.personal("ian")

    def offered(c: FakeConnector) -> list[str]:
        return sorted(
            a["name"]
            for m in c.posts(chat)
            for a in m.get("attachments") or []
            if a["contentType"] == "application/vnd.microsoft.teams.card.file.consent"
        )

    teams.connector.wait_for(lambda c: len(offered(c)) == 3)
    assert offered(teams.connector) == [
        f"EXERCISE-{INC}-timeline.{x}" for x in ("csv", "docx", "pdf")
    ]
