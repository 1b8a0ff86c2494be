"""What a catalog difference is about and its form: the vocabulary the catalog diff,
the drift checks and the reports' drift table share (a module of its own, so a run
restored from the cache reads a drift table without importing the catalog)."""

from __future__ import annotations

from enum import StrEnum


class Aspect(StrEnum):
    """What a difference is about."""

    TABLE = "table"
    COLUMN = "column"
    TYPE = "type"
    NULLABILITY = "nullability"
    DEFAULT = "default"
    INDEX = "index"
    KEY = "key"  # primary key and unique constraints
    FOREIGN_KEY = "foreign key"
    CHECK = "check"
    ENUM = "enum"
    # row level security on and forced, policies, views' security_invoker
    ROW_SECURITY = "row security"
    OTHER = "other"  # partitioning, flags, functions, triggers, sequences, ...


class Form(StrEnum):
    LEFT_ONLY = "left only"
    RIGHT_ONLY = "right only"
    DIFFERS = "differs"
    RENAMED = "renamed"  # the same object under another name
