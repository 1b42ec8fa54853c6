"""Issues (plan section 2): raising, impact and NNC assessment, the escalation ladder, IMT's
direct escalation, and the issue's summary card."""
