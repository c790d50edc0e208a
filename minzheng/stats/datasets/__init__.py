"""Aggregate data sets: figures typed in per county, checked, approved bottom-up and locked.

Modules: ``base`` (definitions, units, errors), ``validation`` (the rules), ``approval``
(who may do what, the lock, writes and reads) and ``csvio`` (CSV import and export).

A data set is a catalogue section with entered stock/flow indicators (``institutions`` …;
the ``seed`` section of quoted national figures and entered ratios are not data sets: they
do not add up). Counties enter values per period; every higher level is the sum of its
counties. The county submits, the prefecture approves it (the county's values lock), the
province approves the prefecture, the nation the province. The level above may return a
submission or an approval with a reason while it is not itself approved.

Every write path — web form, API, CSV import, CLI — calls the services here, so the lock,
the jurisdiction, the validation rules (``validation.yaml``) and the audit trail are the
same for all of them. Values are given in report units (万张) and stored in base units (张).
"""

from minzheng.stats.datasets.approval import (
    Entry,
    Saved,
    approval_state,
    dataset_approve,
    dataset_return,
    dataset_submit,
    entered_values,
    lock_reason,
    may_approve,
    may_enter,
    values_of,
    values_save,
)
from minzheng.stats.datasets.base import (
    ENTRY_LEVEL,
    LEVEL_DIGITS,
    MAX_BASE,
    NOT_DATASETS,
    ST,
    VALIDATION,
    DataSet,
    DataSetError,
    Violation,
    base_unit,
    dataset_get,
    dataset_of,
    datasets,
    fmt,
    indicator_get,
    parse_value,
    period_label,
    to_base,
    to_report,
)
from minzheng.stats.datasets.csvio import (
    ALIASES,
    COLUMNS,
    OPTIONAL,
    template_csv,
    values_csv,
    values_import_csv,
)
from minzheng.stats.datasets.validation import (
    Rule,
    check,
    load_rules,
    rules,
    stored_values,
    validate,
)
from minzheng.stats.periods import previous_period

__all__ = [
    "ALIASES",
    "COLUMNS",
    "ENTRY_LEVEL",
    "LEVEL_DIGITS",
    "MAX_BASE",
    "NOT_DATASETS",
    "OPTIONAL",
    "ST",
    "VALIDATION",
    "DataSet",
    "DataSetError",
    "Entry",
    "Rule",
    "Saved",
    "Violation",
    "approval_state",
    "base_unit",
    "check",
    "dataset_approve",
    "dataset_get",
    "dataset_of",
    "dataset_return",
    "dataset_submit",
    "datasets",
    "entered_values",
    "fmt",
    "indicator_get",
    "load_rules",
    "lock_reason",
    "may_approve",
    "may_enter",
    "parse_value",
    "period_label",
    "previous_period",
    "rules",
    "stored_values",
    "template_csv",
    "to_base",
    "to_report",
    "validate",
    "values_csv",
    "values_import_csv",
    "values_of",
    "values_save",
]
