"""Administration: role grants, and the demo clock."""
