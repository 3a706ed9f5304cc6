"""The types of the command line's values: one place that checks each kind of value, for
the options and for their environment twins alike."""

from __future__ import annotations

import argparse
import math

MAX_PORT = 65535


def boolean(value: str) -> bool:
    word = value.strip().lower()
    if word in ("1", "true", "yes", "on"):
        return True
    if word in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"{value!r} is not true or false")


def origins(value: str) -> tuple[str, ...]:
    found = tuple(o.strip() for o in value.split(",") if o.strip())
    if not found:
        raise argparse.ArgumentTypeError("give at least one origin, or *")
    return found


def non_negative(value: str) -> int:
    digits = value.strip().removeprefix("-")
    if not (digits.isascii() and digits.isdigit()):  # not int(): it takes "٣" and "1_000"
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number")
    number = int(value)
    if number < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative")
    return number


def port(value: str) -> int:
    number = non_negative(value)
    if number > MAX_PORT:
        raise argparse.ArgumentTypeError(f"{value} is not a port number (0 to {MAX_PORT})")
    return number


def positive(value: str) -> int:
    number = non_negative(value)
    if number == 0:
        raise argparse.ArgumentTypeError("0 is not positive")
    return number


def positive_seconds(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of seconds") from None
    if not number > 0:
        raise argparse.ArgumentTypeError(f"{value} is not positive")
    if not math.isfinite(number):
        raise argparse.ArgumentTypeError(f"{value} is not a finite number of seconds")
    return number
