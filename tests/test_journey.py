"""A flow's journey: the graph the admin draws of what the engine runs, for one shop's settings."""

from __future__ import annotations

from app.core.events import EventKind
from flows.catalogue import CATALOGUE
from flows.definitions import ExitRule, ExitScope
from flows.journey import Branch, Edge, NodeKind, SendNode, journey
from flows.settings import resolve


def drawn(key: str, overrides: dict | None = None):
    flow = CATALOGUE[key]
    return journey(flow, resolve(flow, True, overrides))


def shape(key: str, overrides: dict | None = None) -> list[str]:
    """Each stage as its kind, a message with its channel: ["wait", "send:email", ...]."""
    return [
        f"{stage.kind}:{stage.channel}" if isinstance(stage, SendNode) else str(stage.kind)
        for stage in drawn(key, overrides).stages
    ]


def test_abandoned_checkout_waits_then_reminds_by_email_sms_and_email_then_push():
    assert shape("abandoned_checkout") == [
        "wait",
        "send:email",
        "wait",
        "send:sms",
        "wait",
        "send:email",
        "send:push",
    ]


def test_abandoned_checkout_starts_on_a_checkout_and_leaves_when_an_order_is_placed():
    journey_ = drawn("abandoned_checkout")

    assert journey_.trigger.triggers == (EventKind.CHECKOUT_STARTED, EventKind.CHECKOUT_UPDATED)
    rules = [node.rule for node in journey_.exits if node.rule]
    assert ExitRule(EventKind.ORDER_PLACED, ExitScope.SUBJECT) in rules
    assert ExitRule(EventKind.ORDER_PLACED, ExitScope.CONTACT) in rules
    assert [node.guard for node in journey_.exits if node.guard] == ["checkout_still_open"]


def test_a_wait_says_its_duration_in_words_as_the_shop_set_it():
    waits = [stage for stage in drawn("abandoned_checkout").stages if stage.kind == NodeKind.WAIT]
    assert [wait.duration for wait in waits] == ["1 hour", "3 hours", "20 hours"]

    tuned = drawn("abandoned_checkout", {"delays": {"first_delay": 30 * 60}})
    assert tuned.stages[0].duration == "30 minutes"


def test_the_edges_run_from_the_trigger_through_every_stage_to_the_end():
    journey_ = drawn("abandoned_cart")

    assert journey_.edges() == (
        Edge("trigger", "step-0"),
        Edge("step-0", "step-1"),
        Edge("step-1", "step-2"),
        Edge("step-2", "step-3"),
        Edge("step-3", "step-4"),
        Edge("step-4", "step-5"),
        Edge("step-5", "end"),
    )


def test_a_step_with_a_condition_is_a_branch_whose_no_path_skips_it():
    journey_ = drawn("thank_you")
    first, repeat = journey_.stages[1], journey_.stages[2]

    assert isinstance(first, Branch) and first.condition == "order_count <= 1"
    assert isinstance(repeat, Branch) and repeat.condition == "order_count > 1"
    edges = journey_.edges()
    assert Edge("branch-1", "step-1", "yes") in edges
    assert Edge("branch-1", "branch-2", "no") in edges
    assert Edge("step-1", "branch-2") in edges


def test_a_condition_the_merchant_adds_makes_a_branch_and_clearing_one_removes_it():
    added = drawn("abandoned_checkout", {"conditions": {"sms": "cart_value > 100"}})
    assert shape("abandoned_checkout", {"conditions": {"sms": "cart_value > 100"}})[3] == "branch"
    assert added.stages[3].step.channel == "sms"

    assert shape("thank_you", {"conditions": {"email": "", "repeat_email": ""}})[1:3] == [
        "send:email",
        "send:email",
    ]


def test_a_switched_off_message_is_drawn_off():
    journey_ = drawn("abandoned_checkout", {"steps": {"sms": False}})

    sends = [stage for stage in journey_.stages if isinstance(stage, SendNode)]
    assert [send.on for send in sends] == [True, False, True, False]


def test_a_flow_with_an_entry_check_carries_it_on_its_trigger():
    assert drawn("vip").trigger.entry == "vip_threshold"
    assert drawn("abandoned_checkout").trigger.entry is None


def test_a_flow_offering_a_choice_of_trigger_shows_the_one_chosen():
    chosen = drawn("thank_you", {"params": {"trigger": EventKind.ORDER_PLACED.value}})

    assert chosen.trigger.triggers == (EventKind.ORDER_PLACED,)


def test_a_wait_the_entry_decides_says_so():
    wait = drawn("replenishment").stages[0]

    assert wait.kind == NodeKind.WAIT and wait.from_context


def test_an_action_step_is_an_action_node():
    assert "action" in shape("vip")


def test_a_cart_flow_leaves_when_the_shopper_enters_the_checkout_flow():
    exits = drawn("abandoned_cart").exits
    assert [node.entering for node in exits if node.entering] == ["abandoned_checkout"]


def test_every_catalogue_flow_draws_each_step_once():
    for key, flow in CATALOGUE.items():
        journey_ = drawn(key)
        steps = [node.step_index for node in journey_.nodes() if node.kind in {"wait", "send", "action"}]
        assert steps == list(range(len(flow.steps))), key


def test_a_shopper_heading_to_a_conditional_step_is_heading_to_its_branch():
    journey_ = drawn("thank_you")

    assert journey_.landing(1) == "branch-1"
    assert journey_.landing(3) == "step-3"
    assert journey_.landing(5) == "end"


def test_a_short_wait_is_minutes_not_a_fraction_of_an_hour():
    assert drawn("thank_you").stages[0].duration == "5 minutes"
