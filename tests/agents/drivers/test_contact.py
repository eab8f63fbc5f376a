"""Contact and button drivers on gpiozero MockFactory pins (SimulatedHardware)."""

import threading

import pytest

from agents.drivers.base import CommandError
from agents.drivers.contact import Button, ButtonOptions, Contact, ContactOptions
from agents.sim.hardware import SimulatedHardware
from agents.sim.pins import DebouncedPin

WAIT = 2.0  # upper bound for events that arrive from gpiozero's threads


@pytest.fixture
def sim(tmp_path):
    with SimulatedHardware(tmp_path) as hardware:
        yield hardware


class Events:
    """Collects what a driver emits; ``wait_for`` blocks (bounded) until a reading shows up."""

    def __init__(self):
        self.seen = []
        self.changed = threading.Condition()

    def __call__(self, readings):
        with self.changed:
            self.seen.append(readings)
            self.changed.notify_all()

    def wait_for(self, readings):
        with self.changed:
            assert self.changed.wait_for(lambda: readings in self.seen, timeout=WAIT), self.seen


def test_contact_reports_open_as_on_with_door_class(sim):
    contact = Contact(ContactOptions(pin="GPIO17", bounce_time=None), sim)
    pin = sim.pin_factory.pin("GPIO17")
    assert pin.pull == "up"
    (state,) = [quantity for quantity in contact.quantities() if quantity.name == "state"]
    assert (state.component, state.device_class) == ("binary_sensor", "door")
    assert contact.read() == {"state": "ON"}  # pulled up: the reed switch is open, so is the door
    pin.drive_low()  # magnet near: switch closes to ground
    assert contact.read() == {"state": "OFF"}
    contact.close()


def test_contact_emits_state_changes_only(sim):
    contact = Contact(ContactOptions(pin="GPIO17", bounce_time=None), sim)
    assert [quantity.name for quantity in contact.quantities()] == ["state"]
    events = Events()
    contact.watch(events)
    pin = sim.pin_factory.pin("GPIO17")
    pin.drive_low()
    pin.drive_high()
    assert events.seen == [{"state": "OFF"}, {"state": "ON"}]
    contact.close()


def test_contact_invert_for_normally_closed_switches(sim):
    contact = Contact(ContactOptions(pin="GPIO17", bounce_time=None, invert=True), sim)
    assert contact.read() == {"state": "OFF"}
    contact.close()


def test_button_press_and_release_emit_state_and_press_event(sim):
    button = Button(ButtonOptions(pin="GPIO5", bounce_time=None, hold_time=5.0), sim)
    events = Events()
    button.watch(events)
    pin = sim.pin_factory.pin("GPIO5")
    pin.drive_low()
    assert button.read() == {"state": "ON"}
    pin.drive_high()
    assert events.seen == [{"state": "ON"}, {"state": "OFF"}, {"event": "press"}]
    button.close()


def test_button_long_press_is_one_long_press_event_and_no_press(sim):
    button = Button(ButtonOptions(pin="GPIO5", bounce_time=None, hold_time=0.05), sim)
    events = Events()
    button.watch(events)
    pin = sim.pin_factory.pin("GPIO5")
    pin.drive_low()
    events.wait_for({"event": "long_press"})
    pin.drive_high()
    assert events.seen == [{"state": "ON"}, {"event": "long_press"}, {"state": "OFF"}]
    button.close()


def test_pull_down_button_is_active_high(sim):
    button = Button(ButtonOptions(pin="GPIO6", pull_up=False, bounce_time=None), sim)
    pin = sim.pin_factory.pin("GPIO6")
    assert pin.pull == "down"
    assert button.read() == {"state": "OFF"}
    pin.drive_high()
    assert button.read() == {"state": "ON"}
    button.close()


def test_button_has_a_state_and_an_event_quantity(sim):
    button = Button(ButtonOptions(pin="GPIO5"), sim)
    quantities = {quantity.name: quantity for quantity in button.quantities()}
    assert quantities["state"].component == "binary_sensor"
    assert quantities["state"].device_class is None
    assert (quantities["event"].component, quantities["event"].state_class) == ("event", None)
    assert Button.event_types == ("press", "long_press")
    button.close()


def test_floating_input_uses_active_low_setting(sim):
    pin = sim.pin_factory.pin("GPIO6")
    button = Button(ButtonOptions(pin="GPIO6", pull_up=None, active_low=False, bounce_time=None), sim)
    assert pin.pull == "floating"
    pin.drive_high()
    assert button.read() == {"state": "ON"}
    button.close()


def test_active_low_contradicting_the_pull_is_refused(sim):
    with pytest.raises(ValueError, match="contradicts the internal pull-up"):
        Button(ButtonOptions(pin="GPIO6", pull_up=True, active_low=False), sim)


def test_debounce_swallows_contact_chatter(sim):
    pin = sim.pin_factory.pin("GPIO13", pin_class=DebouncedPin)
    button = Button(ButtonOptions(pin="GPIO13", bounce_time=0.03, hold_time=5.0), sim)
    assert pin.bounce == 0.03
    events = Events()
    button.watch(events)
    for _ in range(10):  # a bouncing press: chatter, then the contact settles closed
        pin.drive_low()
        pin.drive_high()
    pin.drive_low()
    events.wait_for({"state": "ON"})
    pin.drive_high()
    pin.drive_low()
    pin.drive_high()  # a bouncing release settles open
    events.wait_for({"event": "press"})
    assert events.seen == [{"state": "ON"}, {"state": "OFF"}, {"event": "press"}]
    button.close()


def test_inputs_refuse_commands(sim):
    contact = Contact(ContactOptions(pin="GPIO17"), sim)
    with pytest.raises(CommandError):
        contact.command("ON")
    contact.close()


def test_simulated_door_opens_now_and_then(sim):
    options = ContactOptions(pin="GPIO17")
    Contact.simulate(options, sim)
    Contact.simulate(options, sim)  # the runtime simulates again on every reopen: still one door
    assert len(sim._background) == 1
    contact = Contact(options, sim)
    events = Events()
    contact.watch(events)
    sim.tick(0.0)
    assert contact.read() == {"state": "OFF"}  # the simulated door starts closed
    events.wait_for({"state": "OFF"})  # ticks below come faster than the debounce: let this one settle
    for step in range(1, 2000):
        sim.tick(step * 0.5)
        if contact.read() == {"state": "ON"}:
            break
    events.wait_for({"state": "ON"})  # reported once the (debounced) level has settled
    contact.close()


@pytest.mark.parametrize(
    ("pull_up", "active_low"), [(True, None), (False, None), (None, False), (None, True)]
)
def test_simulated_button_gets_pressed(sim, pull_up, active_low):
    options = ButtonOptions(
        pin="GPIO5", pull_up=pull_up, active_low=active_low, bounce_time=None, hold_time=0.5
    )
    Button.simulate(options, sim)
    button = Button(options, sim)
    events = Events()
    button.watch(events)
    sim.tick(0.0)
    assert button.read() == {"state": "OFF"}  # nobody presses at first
    for step in range(1, 600):
        sim.tick(step * 0.5)
    events.wait_for({"state": "ON"})
    events.wait_for({"event": "press"})
    button.close()
