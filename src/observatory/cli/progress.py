"""Rich progress bars for long work (imports, generating the example city)."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)

#: Steps smaller than this finish too fast to be worth a bar.
MIN_BAR_TOTAL = 5000


class ProgressBar:
    """Adapts a ``(label, done, total)`` progress callback to a Rich progress bar."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}

    def __call__(self, label: str, done: int, total: int) -> None:
        if total < MIN_BAR_TOTAL:
            return
        if label not in self.tasks:
            self.tasks[label] = self.progress.add_task(label, total=total)
        self.progress.update(self.tasks[label], completed=min(done, total))


def rich_progress() -> Progress:
    """A transient progress display on stderr (stdout stays clean for data)."""
    return Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                    TimeElapsedColumn(), console=Console(stderr=True, soft_wrap=True),
                    transient=True)
