"""``/opss demo`` (local workspace only): an EXERCISE incident to explore in a minute.

It types the real commands as the demo people, through the engine like anyone else, so every
rule still applies: raise, assess, escalate up the ladder, NNC, case conference, outcome,
declare, the sitrep teams, the TCG's members and the SCG's strategy.
"""

from __future__ import annotations

from commands.core.context import Reply, Request
from commands.core.due import next_due
from commands.core.engine import Engine

RATINGS = (
    "public_safety=high non_compliance=medium remedial_action=high "
    "public_confidence=medium media_interest=medium reputational_risk=medium "
    "financial_risk=low ministerial_interest=medium"
)


def script(ref: str) -> list[tuple[str, str]]:
    return [
        ("fatima", f"assess {ref} {RATINGS}"),
        ("fatima", f"escalate {ref}"),
        ("fatima", f"assess {ref} {RATINGS}"),
        ("fatima", f"escalate {ref} cam"),
        ("ian", f"assess {ref} {RATINGS}"),
        (
            "ian",
            f"nnc {ref} nationally_significant=yes novel=no contentious=no "
            '--nationally-significant-rationale "Sold nationwide by three retailers" '
            '--novel-rationale "A known failure mode" '
            '--contentious-rationale "The importer agrees to act"',
        ),
        ("ian", f"escalate {ref} ttg"),
        ("david", f"assess {ref} {RATINGS}"),
        (
            "david",
            f"conference {ref} --when now "
            '--background "Leaking joints reported by a retailer and two LAs" '
            '--recommendations "TTG: consider declaring"',
        ),
        (
            "ian",
            f"outcome {ref} --outcome declare_incident "
            '--rationale "Gas escape risk in homes; national distribution" '
            '--chair "David Osei"',
        ),
        (
            "hana",
            f"declare {ref} --exercise --scg-chair david --tcg-chair fatima --invite ian,sara,olly",
        ),
        ("hana", "sitrep"),  # its incident's reference is known only once declared
        # Command and control (section 3): the TCG's members and the SCG's first strategy.
        ("hana", 'group <incident> open tcg --members "ian, olly"'),
        (
            "david",
            "strategy <incident> "
            '--what-happened "Elbow joints leak gas in three hob models" '
            '--aim "Stop further leaks and protect the public" '
            '--priorities "Recall; alert gas engineers; tell retailers" '
            '--equality "Older owners rarely see online notices: write to them"',
        ),
    ]


def run_demo(engine: Engine, channel: str) -> Reply:
    def say(user: str, text: str) -> Reply:
        return engine.handle(Request("local", user, channel, text, user))

    raised = say(
        "olly",
        'raise "Gas hob elbow joints leaking" --products "Elbow joint EJ-15, '
        'batch 7" --hazard "Gas escape leading to fire or explosion" '
        '--source business --area "Gas and Electrical"',
    )
    if not raised.ok:
        return raised
    ref = raised.text.split()[1].rstrip(".")
    incident = ""
    for user, text in script(ref):
        if text == "sitrep":
            text = (
                f'sitrep {incident} set --teams "Gas and Electrical, Product Safety, '
                'Toys and Childcare"'
            )
        reply = say(user, text.replace("<incident>", incident))
        if not reply.ok:
            return Reply(text=f"The demo stopped at '/opss {text}': {reply.text}", ok=False)
        if "declared as incident" in reply.text:
            incident = reply.text.split("incident ")[1].split(".")[0].split(":")[0]
    upcoming = next_due(engine.db, engine.clock, engine.options.holidays)
    return Reply(
        text=(
            f"Demo ready: EXERCISE incident {incident} from {ref}. Pick hana (an administrator: "
            "only administrators move the clock), open its channel, then press Next event to "
            f"jump the clock to what the bot does next: {upcoming}."
        )
    )
