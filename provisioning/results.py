"""What one task did on one host, for the per-host report and the exit code."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class TaskResult:
    """Changes made (empty when the node was already as wanted), notes for the user, and output."""

    changes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    output: str = ""
    reboot_needed: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    def merge(self, other: TaskResult) -> TaskResult:
        """Both results as one (for a sequence of tasks on the same host)."""
        return TaskResult(
            changes=[*self.changes, *other.changes],
            notes=[*self.notes, *other.notes],
            output=self.output + other.output,
            reboot_needed=self.reboot_needed or other.reboot_needed,
        )

    def summary(self) -> str:
        """One line: ``changed: a, b`` or ``no changes``, plus the reboot note."""
        text = f"changed: {', '.join(self.changes)}" if self.changes else "no changes"
        if self.reboot_needed:
            text += "; REBOOT NEEDED (sudo reboot) for the interface settings to take effect"
        return text
