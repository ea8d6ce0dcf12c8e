"""Scenario files: YAML steps (actions and expectations) run against a fakenet network.

    errors.py   ScenarioError: file, line, step and what was expected
    schema.py   argument validators
    steps.py    the step registry (name → parser + harness call)
    event_steps.py  steps for ceramic-one's events and interest sync (Recon), in that registry
    loader.py   YAML → Scenario (all steps checked before anything runs)
    runner.py   run a Scenario on a backend, step by step
    report.py   HTML page and JUnit XML of a run
    console.py  the `fake scenario run` progress view and timeline
"""

from fakenet.scenario.errors import ScenarioError
from fakenet.scenario.loader import Scenario, load, parse
from fakenet.scenario.runner import Result, run

__all__ = ["Result", "Scenario", "ScenarioError", "load", "parse", "run"]
