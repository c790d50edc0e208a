"""A compiled pipeline: named SQL steps (DuckDB dialect) that a runner composes into CTEs."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Step:
    """One SELECT, reading inputs and earlier steps by name.

    A ``materialise`` step becomes a table the runner can cache and reuse (the
    resolved parameters); other steps are inlined as CTEs of the steps that read them.
    """

    name: str
    sql: str
    deps: tuple[str, ...] = ()
    materialise: bool = False


@dataclass
class Pipeline:
    """Steps in dependency order, the inputs they need and the outputs (name → columns)."""

    steps: dict[str, Step] = field(default_factory=dict)
    inputs: set[str] = field(default_factory=set)
    outputs: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def add(self, step: Step) -> str:
        """Append ``step``; names are unique within a pipeline."""
        if step.name in self.steps:
            raise ValueError(f"duplicate step {step.name!r}")
        unknown = [d for d in step.deps if d not in self.steps and d not in self.inputs]
        if unknown:
            raise ValueError(f"step {step.name!r} reads unknown {unknown}")
        self.steps[step.name] = step
        return step.name

    def materialised(self) -> list[Step]:
        return [s for s in self.steps.values() if s.materialise]

    def query(self, name: str) -> str:
        """``name`` as one statement: every non-materialised step it reads becomes a CTE."""
        order: list[str] = []

        def visit(n: str) -> None:
            for d in self.steps[n].deps:
                if d in self.steps and not self.steps[d].materialise and d not in order:
                    visit(d)
                    order.append(d)

        visit(name)
        ctes = ",\n".join(f"{n} AS (\n{self.steps[n].sql}\n)" for n in order)
        return (f"WITH {ctes}\n" if ctes else "") + self.steps[name].sql

    def text(self) -> str:
        """Every step, for reading and debugging (``-- step`` headers)."""
        return "\n\n".join(f"-- {s.name}\n{s.sql};" for s in self.steps.values())
