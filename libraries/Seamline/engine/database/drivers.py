"""The DB-API drivers: loaded on first use, and what they raise turned into one readable failure."""

from __future__ import annotations

import importlib
import sqlite3
from types import ModuleType

from ..errors import SeamError
from .urls import DatabaseUrl

SEAM = "SQL"
# The optional drivers, by dialect: the module and the extra that installs it.
DRIVERS = {"postgresql": ("psycopg", "postgres"), "mysql": ("pymysql", "mysql")}
# What drivers raise for parameters that do not fit the placeholders (a count or a name that differs).
PARAMETER_ERRORS = (KeyError, TypeError, IndexError)
# Raised past the driver's own tree: socket errors, values a driver cannot convert (UnicodeDecodeError
# is a ValueError), integers SQLite cannot hold.
OTHER_ERRORS = (OSError, ValueError, OverflowError)
MYSQL_TIMEOUT_CODES = (1969, 3024)  # MariaDB max_statement_time, MySQL max_execution_time


def load_driver(dialect: str) -> ModuleType:
    """The driver module of `dialect`, imported now; a missing one fails naming the extra to install."""
    if dialect == "sqlite":
        return sqlite3
    module, extra = DRIVERS[dialect]
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        if error.name != module:
            raise
        problem = "is not installed"
    except ImportError as error:  # installed, but not loadable (psycopg without a libpq)
        problem = f"cannot be loaded ({error})"
    raise SeamError(
        SEAM, f"the {dialect} driver '{module}' {problem}: pip install 'robotframework-seamline[{extra}]'"
    ) from None


def statement_errors(driver: ModuleType) -> tuple[type[Exception], ...]:
    """Every exception class a statement on `driver` can raise for an expected reason."""
    return (driver.Error, *PARAMETER_ERRORS, *OTHER_ERRORS)


def driver_message(error: Exception, password: str | None = None) -> str:
    """What went wrong, on one line, without the password even if a driver quoted it."""
    if isinstance(error, PARAMETER_ERRORS):
        message = f"parameters do not fit the placeholders ({type(error).__name__}: {error})"
    elif len(error.args) == 2 and isinstance(error.args[0], int):  # pymysql: (code, message)
        message = f"({error.args[0]}) {error.args[1]}"
    else:
        message = " ".join(str(error).split()) or type(error).__name__
    return message.replace(password, "***") if password else message


def is_timeout(error: Exception, dialect: str) -> bool:
    """Whether `error` says a statement (or a connection attempt) ran out of time."""
    if dialect == "postgresql":
        return type(error).__name__ in ("QueryCanceled", "ConnectionTimeout")
    if dialect == "mysql":
        code = error.args[0] if error.args else None
        return code in MYSQL_TIMEOUT_CODES or "timed out" in str(error)
    return "interrupted" in str(error) or "locked" in str(error)


def connect_error(error: Exception, url: DatabaseUrl, timeout: float, password: str | None) -> SeamError:
    """The failure for a connection attempt that raised `error`."""
    within = f" within {timeout:g}s" if is_timeout(error, url.dialect) else ""
    return SeamError(SEAM, f"cannot connect to {url.display}{within}: {driver_message(error, password)}")
