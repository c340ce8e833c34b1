"""The service layer: every create, save, conversion and cross-register effect is one function
`(data or record, by, now)` that owns its transaction and its audit row. Views, the CLI, the
importer, jobs and tests call these; the models only change state.

Importing the package registers each register's save rules (flows.records.save applies them)."""
from flows import calendar, cash, communication, complaints, reception, records, surveys, system

__all__ = ["calendar", "cash", "communication", "complaints", "reception", "records", "surveys",
           "system"]
