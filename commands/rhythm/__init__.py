"""The battle rhythm (plan 3.21-3.22): the schedule of meetings, what a reminder says of the
group that meets, and the reminders as a due source of the tick."""
