"""The agents service: hardware, the MQTT connection, and one runner per enabled agent.

``apply`` takes a newly loaded config and starts, stops or restarts only the agents that were
added, removed or changed; the connection and the other agents keep running.

When simulating, the fake ``/proc`` and ``/sys`` files go to a fresh folder under ``state_dir``, or
under the folder named by the environment variable ``PERCH_SIM_DIR`` (e.g. ``/dev/shm``, which
``bench.footprint`` uses: on a Pi those files are the kernel's and cost the SD card nothing).
"""

from __future__ import annotations

import getpass
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agents.config.appliance import AgentConfig, ApplianceConfig
from agents.publish.client import Publisher
from agents.publish.spool import Spool
from agents.runtime.agent import AgentRunner
from agents.runtime.outlet import Outlet

log = logging.getLogger(__name__)

HOME_ASSISTANT_STATUS = "status"
SIM_DIR_VARIABLE = "PERCH_SIM_DIR"  # Home Assistant publishes online/offline on {ha_prefix}/status


@dataclass
class Changes:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        groups = (("added", self.added), ("removed", self.removed), ("restarted", self.changed))
        parts = [f"{word} {', '.join(names)}" for word, names in groups if names]
        return "; ".join(parts) or "no agent changed"


def usable_state_dir(wanted: Path) -> Path:
    """``wanted`` if we may write there, else a per-user folder under the temp dir (development)."""
    try:
        wanted.mkdir(parents=True, exist_ok=True)
        if os.access(wanted, os.W_OK):
            return wanted
    except OSError:
        pass
    fallback = Path(tempfile.gettempdir()) / f"perch-{getpass.getuser()}"
    fallback.mkdir(parents=True, exist_ok=True)
    log.warning("state_dir %s is not writable; using %s", wanted, fallback)
    return fallback


def make_hardware(simulate: bool, state_dir: Path) -> Any:
    """Real hardware, or emulations in a fresh folder under ``state_dir`` (sysfs: see the module doc)."""
    if simulate:
        from agents.sim.hardware import SimulatedHardware

        folder = Path(tempfile.mkdtemp(prefix="perch-sim-", dir=state_dir))
        sysfs_parent = os.environ.get(SIM_DIR_VARIABLE)
        sysfs = Path(tempfile.mkdtemp(prefix="perch-sim-", dir=sysfs_parent)) if sysfs_parent else None
        return SimulatedHardware(folder, sysfs)
    from agents.hw.real import RealHardware

    return RealHardware(state_dir)


def close_hardware(hardware: Any, simulate: bool) -> None:
    hardware.close()
    if simulate:
        shutil.rmtree(hardware.sysfs_dir, ignore_errors=True)
        shutil.rmtree(hardware.state_dir, ignore_errors=True)


class Runtime:
    """Owns the runners; ``start``, ``apply`` a new config, ``stop``."""

    def __init__(self, config: ApplianceConfig, hardware: Any = None, simulate: bool | None = None) -> None:
        self.config = config
        self.simulate = config.simulate if simulate is None else simulate
        self.state_dir = usable_state_dir(config.state_dir)
        self.hardware = hardware
        self._owns_hardware = hardware is None
        spool_path = Path(config.spool.path) if config.spool.path else self.state_dir / "spool.sqlite"
        self.spool = Spool(spool_path, config.spool.max_messages, config.spool.max_bytes)
        client_id = config.mqtt.client_id or f"perch-agents-{config.node}"
        self.publisher = Publisher(config.mqtt, client_id, f"{config.base_topic}/status", self.spool)
        self.outlet = Outlet(config, self.publisher)
        self.runners: dict[str, AgentRunner] = {}

    def start(self) -> None:
        if self.hardware is None:
            self.hardware = make_hardware(self.simulate, self.state_dir)
        if self.config.home_assistant.discovery:
            topic = f"{self.config.home_assistant.prefix}/{HOME_ASSISTANT_STATUS}"
            self.publisher.subscribe(topic, self._on_home_assistant_status)
        self.publisher.start()
        for agent in self.config.agents:
            if agent.enabled:
                self._start_agent(agent)
        mode = "simulated" if self.simulate else "hardware"
        log.info("%d agent(s) on %s publishing to %s:%s under %s/; %d reading(s) waiting in the spool",
                 len(self.runners), mode, self.config.mqtt.host, self.config.mqtt.port,
                 self.config.base_topic, len(self.spool))  # fmt: skip

    def _on_home_assistant_status(self, topic: str, payload: bytes) -> None:
        if payload.strip() == b"online":
            self.outlet.reannounce_discovery()

    def _start_agent(self, agent: AgentConfig) -> None:
        runner = AgentRunner(agent, self.hardware, self.outlet, self.simulate)
        self.runners[agent.name] = runner
        runner.start()

    def _stop_agent(self, name: str) -> None:
        runner = self.runners.pop(name, None)
        if runner is not None:
            runner.stop()

    def apply(self, new: ApplianceConfig) -> Changes:
        """Run ``new``'s agents, touching only those that differ from the running ones."""
        wanted = {agent.name: agent for agent in new.agents if agent.enabled}
        changes = Changes()
        for name in list(self.runners):
            if name not in wanted:
                self._stop_agent(name)
                self.outlet.withdraw(name)
                changes.removed.append(name)
            elif wanted[name].raw != self.runners[name].config.raw:
                self._stop_agent(name)
                changes.changed.append(name)
        for name, agent in wanted.items():
            if name not in self.runners:
                self._start_agent(agent)
                if name not in changes.changed:
                    changes.added.append(name)
        if (new.mqtt, new.base_topic, new.home_assistant) != (
            self.config.mqtt, self.config.base_topic, self.config.home_assistant
        ):  # fmt: skip
            log.warning("mqtt, node, topic_prefix and home_assistant changes take effect after a restart")
        self.config = new
        return changes

    def stop(self) -> None:
        """Stop every agent (outputs return to their safe state), say offline, disconnect."""
        for name in list(self.runners):
            self._stop_agent(name)
        self.publisher.stop()
        self.spool.close()
        if self._owns_hardware and self.hardware is not None:
            close_hardware(self.hardware, self.simulate)
