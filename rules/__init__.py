"""The Incident Management Plan as pure rules: data in, data out, no I/O, no clock reads."""
