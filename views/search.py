"""The grids' search box: phone numbers and record numbers by index, other text by substring.

A term that looks like a phone number (at least 7 digits once spaces, dashes and a +86 / 0086
prefix are removed) matches the phone columns, and the customer's phone, from its start: the
full number or its first digits. A term that looks like a record number (JD-20261122-0001, its
start, or the date and serial alone: 20261122-0001) matches the number from its start. Both are
ranges on indexed columns (`phone >= '1380013' AND phone < '1380014'`), which SQLite and
PostgreSQL answer from the index whatever the collation; a leading-wildcard LIKE would read
every row. Any other term is matched as before: each word anywhere in the names, subjects and
numbers (`LIKE '%word%'`), all words required."""
import re

from flask_admin.contrib.peewee.tools import parse_like_term

from crm import phone_digits
from models import PhoneField

# Only digits and what people type between them: the whole term is one phone or number.
NUMERIC_TERM = re.compile(r"^[\d\s\-()（）+]+$")
# A record number or its start: two to four letters, a dash, then digits and dashes.
NUMBER_TERM = re.compile(r"^[A-Za-z]{2,4}-\d[\d-]*$")
NUMBER_FIELDS = ("number", "receipt_no")


def prefix_range(field, prefix):
    """`field` starts with `prefix`, as a range an ordinary index serves (never LIKE)."""
    stem = prefix.rstrip("9")
    if not stem:
        return field >= prefix  # all nines: nothing sorts above the prefix's own run
    upper = stem[:-1] + chr(ord(stem[-1]) + 1)
    return (field >= prefix) & (field < upper)


def _column(field):
    """The peewee field behind a search field (PersonalSearch wraps one)."""
    return getattr(field, "field", field)


def phone_condition(search_fields, term, sees_personal):
    """Rows whose phone (or their customer's) starts with the digits of `term`, or None."""
    digits = phone_digits(term)
    if digits is None:
        return None
    typed = re.sub(r"\s", "", term)
    typed = re.sub(r"^(\+86|0086)-?", "", typed)
    prefixes = [digits] + ([typed] if typed != digits and "-" in typed else [])
    condition = None
    for field in search_fields:
        column = _column(field)
        if hasattr(field, "phone_match"):  # the customer's phone, through a subquery
            match = field.phone_match(prefixes)
        elif isinstance(column, PhoneField) and (sees_personal or not getattr(field, "personal", False)):
            match = None
            for prefix in prefixes:
                one = prefix_range(column, prefix)
                match = one if match is None else match | one
        else:
            continue
        if match is not None:
            condition = match if condition is None else condition | match
    return condition


def number_condition(model, search_fields, term):
    """Rows whose record number starts with `term` (the register's own prefix may be left
    out: 20261122-0001 is JD-20261122-0001 on the reception register), or None."""
    typed = re.sub(r"\s", "", term).upper()
    if NUMBER_TERM.match(typed):
        prefixes = [typed]
    elif re.match(r"^\d{6,}[\d-]*$", typed) and getattr(model, "number_prefix", None):
        prefixes = ["%s-%s" % (model.number_prefix, typed)]
    else:
        return None
    condition = None
    for field in search_fields:
        column = _column(field)
        if getattr(column, "model", None) is model and column.name in NUMBER_FIELDS:
            for prefix in prefixes:
                one = prefix_range(column, prefix)
                condition = one if condition is None else condition | one
    return condition


def text_condition(search_fields, word):
    """Rows where any searchable column contains `word` (Flask-Admin's own rule, one word)."""
    term = parse_like_term(word)
    has_digit = any(ch.isdigit() for ch in word)
    condition = None
    for field in search_fields:
        if isinstance(_column(field), PhoneField) and not has_digit:
            continue  # a phone holds only digits: a word without one cannot match it
        match = field ** term
        condition = match if condition is None else condition | match
    return condition


def search_condition(model, search_fields, search, sees_personal):
    """The WHERE condition for what was typed in a grid's search box (None: no condition)."""
    search = (search or "").strip()
    if not search:
        return None
    if NUMERIC_TERM.match(search) or NUMBER_TERM.match(search):
        exact = [c for c in (phone_condition(search_fields, search, sees_personal),
                             number_condition(model, search_fields, search)) if c is not None]
        if exact:
            condition = exact[0]
            for other in exact[1:]:
                condition |= other
            return condition
    condition = None
    for word in search.split():
        match = text_condition(search_fields, word)
        if match is not None:
            condition = match if condition is None else condition & match
    return condition

