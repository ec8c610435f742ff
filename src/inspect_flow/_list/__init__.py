"""``flow list log``: which logs exist, their status, samples, tags and edit history."""

from inspect_flow._list.entries import Edit, LogEntry
from inspect_flow._list.listing import STATUSES, Listing, list_entries, list_logs

__all__ = ["STATUSES", "Edit", "Listing", "LogEntry", "list_entries", "list_logs"]
