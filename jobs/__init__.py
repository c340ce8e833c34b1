"""Scheduled jobs: one function per rule, named as a verb, taking `now`."""
