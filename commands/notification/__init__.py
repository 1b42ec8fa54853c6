"""Product-safety notifications and risk assessments (GPSR 2005 guidance): statutory clocks,
the Annex forms, the risk tables. One module per concept; the engine is still the one entry."""
