"""Writes, one module per subject: roles and profiles, sign-ups, teams, check-in."""
