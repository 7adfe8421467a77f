#!/usr/bin/env python3
"""Converts a burstsim output file to NWB (Neurodata Without Borders) with pynwb.

    python3 analysis/to_nwb.py IN.h5 OUT.nwb [--force]

The NWB file holds a units table with one row per neuron of every recorded population:
  spike_times   its spikes, in seconds (NWB's unit: the file's ms divided by 1000)
  population    the population's name
  node_id       the neuron's 0-based id in its population (the file's node_ids)
  event_times   onsets of its events (spec 2.1 detector), seconds; empty for a population
                without a detector (Poisson) or a run that did not record events
  burst_times   onsets (first spike) of its bursts, seconds; empty likewise
  obs_intervals [0, t_stop]: the time the data cover
and the units table's resolution is the run's time step. Session metadata come from the root
attributes: the model's title (session_description), seed, dt, duration, completeness and
burstsim version (in the session description and `notes`, which also holds the model file's text
and its protocol file's). The file records no wall-clock start, so session_start_time is the time
IN.h5 was last written (the end of the run).

An existing OUT is replaced only with --force (written beside it, then renamed, so the old file
stays whole if the conversion fails); IN is never a destination. Exit code 1 with a message when
IN cannot be read or is not a burstsim output file, or OUT exists.
"""

import argparse
import datetime
import os
import sys
import uuid

import numpy as np

import burstsim_io


def seconds(times_ms):
    # division (not * 1e-3) so that a reader can reproduce the values exactly from the file's ms
    return np.asarray(times_ms, dtype=np.float64) / 1000.0


def build(f, path):
    import pynwb
    from pynwb.misc import Units

    model = burstsim_io.model(f)
    title = model.get("simulation", {}).get("title") or f"burstsim model of {os.path.basename(path)}"
    seed, dt = int(f.attrs["seed"]), float(f.attrs["dt_ms"])
    t_stop = burstsim_io.t_stop_ms(f)
    version = burstsim_io.text_attr(f, "burstsim_version")
    complete = bool(f.attrs.get("complete", 0))
    state = "complete" if complete else "INCOMPLETE (interrupted or still running)"
    run = (f"burstsim {version} run, seed {seed}, dt {dt} ms, duration {float(f.attrs['duration_ms'])} ms, "
           f"data to {t_stop} ms, {state}")
    notes = [run, "", "model file:", burstsim_io.text_attr(f, "model")]
    if "protocol_file_text" in f.attrs:
        notes += ["", "protocol file:", burstsim_io.text_attr(f, "protocol_file_text")]
    written = datetime.datetime.fromtimestamp(os.path.getmtime(path), tz=datetime.timezone.utc)
    nwb = pynwb.NWBFile(
        session_description=f"{title}: {run}",
        identifier=str(uuid.uuid4()),
        session_start_time=written,
        session_id=f"seed {seed}",
        notes="\n".join(notes),
        source_script="analysis/to_nwb.py (burstsim)",
        source_script_file_name="to_nwb.py",
        data_collection=f"simulated with burstsim {version} from the model stored in {os.path.basename(path)}",
    )
    nwb.units = Units(name="units", description="burstsim neurons, one row per neuron of each recorded population",
                      resolution=dt / 1000.0)
    nwb.add_unit_column("population", "burstsim population the neuron belongs to")
    nwb.add_unit_column("node_id", "0-based id of the neuron in its population (burstsim node_ids)")
    nwb.add_unit_column("event_times", "event onsets (spec 2.1 detector), s", index=True)
    nwb.add_unit_column("burst_times", "burst onsets (the burst's first spike), s", index=True)
    pops = []
    for kind in burstsim_io.KINDS:
        pops += [p for p in burstsim_io.populations(f, kind) if p not in pops]
    for pop in pops:
        spikes, events, bursts = (burstsim_io.trains(f, kind, pop) for kind in burstsim_io.KINDS)
        for i in range(len(spikes)):
            nwb.add_unit(spike_times=seconds(spikes[i]), population=pop, node_id=i,
                         event_times=seconds(events[i]), burst_times=seconds(bursts[i]),
                         obs_intervals=[[0.0, t_stop / 1000.0]])
    return nwb


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("input", metavar="IN.h5")
    ap.add_argument("output", metavar="OUT.nwb")
    ap.add_argument("--force", action="store_true", help="replace OUT if it exists")
    a = ap.parse_args()
    if os.path.exists(a.output):
        if os.path.exists(a.input) and os.path.samefile(a.input, a.output):
            sys.exit(f"to_nwb: {a.output} is the input file; give another output")
        if not a.force:
            sys.exit(f"to_nwb: {a.output} exists; pass --force to replace it")
    try:
        f = burstsim_io.open_run(a.input)
    except burstsim_io.BurstsimFileError as e:
        sys.exit(f"to_nwb: {e}")
    with f:
        nwb = build(f, a.input)
    from pynwb import NWBHDF5IO

    claimed = False
    if not a.force:
        # claim the name exclusively before the slow part, so that a file made meanwhile by
        # someone else is not replaced either
        try:
            os.close(os.open(a.output, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            claimed = True
        except FileExistsError:
            sys.exit(f"to_nwb: {a.output} exists; pass --force to replace it")
        except OSError as e:
            sys.exit(f"to_nwb: cannot create {a.output} ({e.strerror})")
    tmp = os.path.join(os.path.dirname(os.path.abspath(a.output)), f".{os.path.basename(a.output)}.partial-{os.getpid()}.nwb")
    done = False
    try:
        with NWBHDF5IO(tmp, "w") as io:
            io.write(nwb)
        os.replace(tmp, a.output)
        done = True
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
        if claimed and not done:
            os.remove(a.output)
    n = len(nwb.units)
    print(f"{a.output}: {n} units from {a.input}")


if __name__ == "__main__":
    main()
