"""A flow as the journey a shopper takes through it: a graph of nodes and edges the admin draws.

Nothing here adds meaning to a flow; it reads what the engine runs (flows/engine.py, runner.py)
for one shop's settings and names each part: the trigger with its entry filter, each wait with its
duration, each message by channel, each action, and the rules that end the flow early. A step with
an "only when" condition is a yes/no branch: yes runs the step, no skips it and goes on to the next
step, as ``StepRunner._split_allows`` does. Exits can happen at any step, so they hang off the
journey as its own list rather than off one node; a shopper who reaches the end completes the flow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from app.core.events import EventKind
from flows.definitions import Act, ExitRule, Flow, Send, Wait
from flows.settings import ResolvedSettings, human


class NodeKind(StrEnum):
    TRIGGER = "trigger"
    WAIT = "wait"
    BRANCH = "branch"
    SEND = "send"
    ACTION = "action"
    EXIT = "exit"
    END = "end"


@dataclass(frozen=True)
class Trigger:
    """What starts the flow for this shop, and the entry check (flows/entry.py) that filters it."""

    triggers: tuple[EventKind, ...]
    entry: str | None
    id: str = "trigger"
    kind: NodeKind = NodeKind.TRIGGER


@dataclass(frozen=True)
class WaitNode:
    """A pause: ``delay`` as the shop set it, ``duration`` in English words (the admin says ``delay``
    in its own language); ``from_context`` when the shopper's entry decides it instead."""

    id: str
    step_index: int
    label: str
    duration: str
    from_context: bool
    delay: timedelta = timedelta(0)
    kind: NodeKind = NodeKind.WAIT


@dataclass(frozen=True)
class SendNode:
    """One message on one channel; ``on`` is False when the merchant switched it off (skipped)."""

    id: str
    step_index: int
    label: str
    channel: str
    template: str
    on: bool
    variant_b: str | None = None
    kind: NodeKind = NodeKind.SEND


@dataclass(frozen=True)
class ActionNode:
    """Something done to the shopper instead of a message (tag, suppress)."""

    id: str
    step_index: int
    label: str
    action: str
    on: bool
    kind: NodeKind = NodeKind.ACTION


StepNode = SendNode | ActionNode


@dataclass(frozen=True)
class Branch:
    """An "only when" split before a step: yes runs ``step``, no skips it to what follows."""

    id: str
    step_index: int
    condition: str
    step: StepNode
    kind: NodeKind = NodeKind.BRANCH


@dataclass(frozen=True)
class Exit:
    """One way out before the end: an event (``rule``), the guard failing, or entering another flow."""

    id: str
    rule: ExitRule | None = None
    guard: str | None = None
    entering: str | None = None
    kind: NodeKind = NodeKind.EXIT


@dataclass(frozen=True)
class End:
    id: str = "end"
    kind: NodeKind = NodeKind.END


Stage = WaitNode | SendNode | ActionNode | Branch
Node = Trigger | WaitNode | SendNode | ActionNode | Branch | Exit | End


@dataclass(frozen=True)
class Edge:
    """From one node to the next; ``label`` is "yes" or "no" out of a branch, else empty."""

    source: str
    target: str
    label: str = ""


@dataclass(frozen=True)
class Journey:
    """The trigger, the stages in the order the engine runs them, the exits, and the end."""

    trigger: Trigger
    stages: tuple[Stage, ...]
    exits: tuple[Exit, ...]
    end: End = End()

    def nodes(self) -> tuple[Node, ...]:
        """Every node once, in reading order (a branch, then the step it guards)."""
        found: list[Node] = [self.trigger]
        for stage in self.stages:
            found.append(stage)
            if isinstance(stage, Branch):
                found.append(stage.step)
        return (*found, self.end, *self.exits)

    def edges(self) -> tuple[Edge, ...]:
        """How a shopper moves: each stage to the next, a branch's yes into its step and no past it."""
        found: list[Edge] = []
        sources: list[tuple[str, str]] = [(self.trigger.id, "")]
        for stage in self.stages:
            found.extend(Edge(source, stage.id, label) for source, label in sources)
            if isinstance(stage, Branch):
                found.append(Edge(stage.id, stage.step.id, "yes"))
                sources = [(stage.step.id, ""), (stage.id, "no")]
            else:
                sources = [(stage.id, "")]
        found.extend(Edge(source, self.end.id, label) for source, label in sources)
        return tuple(found)

    def landing(self, step_index: int) -> str:
        """The node a shopper whose next step is ``step_index`` is heading to (a branch before its step)."""
        for stage in self.stages:
            if stage.step_index == step_index:
                return stage.id
        return self.end.id


def journey(flow: Flow, settings: ResolvedSettings) -> Journey:
    """Read a flow, as one shop has tuned it, as a journey."""
    stages: list[Stage] = []
    for index, step in enumerate(flow.steps):
        if isinstance(step, Wait):
            stages.append(
                WaitNode(
                    f"step-{index}",
                    index,
                    step.label,
                    human(settings.delay(step)),
                    from_context=step.from_context is not None,
                    delay=settings.delay(step),
                )
            )
            continue
        node = _step_node(step, index, settings)
        if settings.condition(step).always:  # no condition, or a stale one the runner reads as "always"
            stages.append(node)
        else:
            stages.append(Branch(f"branch-{index}", index, settings.conditions[step.setting], node))
    exits = [Exit(f"exit-{n}", rule=rule) for n, rule in enumerate(flow.exit_on)]
    exits += [Exit(f"exit-{len(exits) + n}", entering=key) for n, key in enumerate(flow.exit_on_entering)]
    if flow.guard:
        exits.append(Exit(f"exit-{len(exits)}", guard=flow.guard))
    return Journey(Trigger(settings.triggers(), flow.entry), tuple(stages), tuple(exits))


def _step_node(step: Send | Act, index: int, settings: ResolvedSettings) -> StepNode:
    if isinstance(step, Send):
        return SendNode(
            f"step-{index}",
            index,
            step.label,
            step.channel,
            step.template,
            on=settings.step_enabled(step),
            variant_b=step.variant_b,
        )
    return ActionNode(f"step-{index}", index, step.label, step.action, on=settings.step_enabled(step))
