"""The sandbox's error type and its resource limits."""

from __future__ import annotations

from dataclasses import dataclass


class SandboxError(Exception):
    """An expression or script was refused: forbidden construct or a limit hit.

    The message is meant for the analyst who wrote the expression, so it says
    what was refused and why, never how the sandbox works inside.
    """


@dataclass(frozen=True)
class Limits:
    """Bounds for one evaluation.

    Time is bounded twice: by a count of loop iterations (deterministic, so a
    package behaves the same on a slow and a fast machine) and by a wall-clock
    deadline (for the rare single operation that is slow without looping).
    Memory is bounded per object (`max_length` items or characters) and per
    evaluation (`max_allocated`: the sum of the sizes of every container or
    string the code built), so neither one huge value nor many large copies
    can exhaust the worker.
    """

    timeout: float = 1.0
    max_iterations: int = 1_000_000
    max_length: int = 1_000_000
    max_allocated: int = 5_000_000
    max_int_bits: int = 65_536
    max_source: int = 20_000
    max_format_width: int = 9_999


DEFAULT_LIMITS = Limits()
