"""Training survives being killed, and trains the same on two workers as one cluster."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

DRIVER = Path(__file__).with_name("train_driver.py")
pytestmark = pytest.mark.slow


def run_driver(*args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(DRIVER), *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, **kwargs)


def test_a_killed_run_continues_from_its_last_epoch(tiny_utkface: Path, tmp_path: Path) -> None:
    from tests.train_driver import EPOCHS
    run_dir, cache = tmp_path / "run", tmp_path / "cache"
    first = run_driver("resume", str(tiny_utkface), str(run_dir), str(cache))
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and first.poll() is None:
        states = list(run_dir.glob("pretrain-*/checkpoint/state.json"))
        if states and json.loads(states[0].read_text())["epochs_done"] >= 2:
            break
        time.sleep(0.2)
    assert first.poll() is None, "the run ended before it could be killed:\n" + first.stdout.read()
    first.send_signal(signal.SIGKILL)
    first.wait()
    state_file = next(run_dir.glob("pretrain-*/checkpoint/state.json"))
    killed_after = json.loads(state_file.read_text())["epochs_done"]
    assert 2 <= killed_after < EPOCHS
    assert not (state_file.parent.parent / "model.keras").exists()

    second = run_driver("resume", str(tiny_utkface), str(run_dir), str(cache))
    output, _ = second.communicate(timeout=300)
    assert second.returncode == 0, output
    assert f"resuming after epoch {killed_after}" in output
    assert f"epoch {killed_after + 1}/{EPOCHS}" in output and f"epoch {killed_after}/{EPOCHS}" not in output
    state = json.loads(state_file.read_text())
    assert state["epochs_done"] == EPOCHS and state["resumed"] == 1
    assert all(len(values) == EPOCHS for values in state["history"].values())  # no epoch twice, none lost
    from gen.models.keras import keras
    last = keras.models.load_model(state_file.parent / "last.keras")
    steps = int(output.split(" epochs of ")[-1].split(" batches")[0])
    assert int(last.optimizer.iterations.numpy()) == EPOCHS * steps  # the optimizer state came back too
    assert (state_file.parent.parent / "model.keras").exists()


def free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def test_two_workers_on_this_machine_end_with_identical_weights(tmp_path: Path) -> None:
    workers = [f"127.0.0.1:{port}" for port in free_ports(2)]
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    processes = [run_driver("worker", json.dumps({"cluster": {"worker": workers}, "task": {"type": "worker",
                                                                                           "index": i}}),
                            str(tmp_path / "checkpoint"), str(tmp_path / f"worker{i}.npz"), env=env)
                 for i in range(2)]
    outputs = [p.communicate(timeout=300)[0] for p in processes]
    for process, output in zip(processes, outputs):
        assert process.returncode == 0, output
    first, second = (np.load(tmp_path / f"worker{i}.npz") for i in range(2))
    assert int(first["epochs"]) == 2
    weights = [key for key in first.files if key.startswith("arr_")]
    assert len(weights) > 10
    for key in weights:
        np.testing.assert_array_equal(first[key], second[key])
    assert (tmp_path / "checkpoint" / "state.json").exists()  # only the chief wrote the checkpoint
