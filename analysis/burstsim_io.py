#!/usr/bin/env python3
"""Reading burstsim output files (HDF5, README "Output file") from Python.

Neo (https://neuralensemble.org/neo/) in one call:

    import burstsim_io
    block = burstsim_io.load("run.h5")                      # every neuron's spikes
    block = burstsim_io.load("run.h5", what="bursts", population="pyr1")
    block = burstsim_io.load("run.h5", what=("spikes", "events", "bursts"))

`load` returns a `neo.Block` as Neo's own IO classes do (`read_block()`): one `neo.Segment`, the
run, holding one `neo.SpikeTrain` per neuron and per kind asked for, and one `neo.Group` per
population in `block.groups` holding that population's trains (Neo's way of grouping trains by
unit). Each SpikeTrain has
  - times in ms (the file's float64 values unchanged, sorted), t_start 0 ms, t_stop the time the
    data cover (root attribute `t_stop_ms`: the run's duration, or less for an interrupted run);
  - name "POP[ID]", annotations `population` (str), `node_id` (int, 0-based as in the file) and
    `kind` ("spikes", "events" or "bursts");
so `segment.filter([{"population": "pyr1"}, {"kind": "events"}], objects=neo.SpikeTrain)` selects
trains (a list of dicts: all must match; Neo's keyword filters match any).
Events are the onsets of the spec 2.1 detector's events, bursts the onsets (first spike) of its
bursts. Every neuron gets a train, also one that never fired (an empty train). The block's
annotations hold the run's root attributes (seed, dt_ms, duration_ms, t_stop_ms, complete,
burstsim_version) and the model's title; `block.file_origin` is the path.

`what` is one kind or a sequence of them; `population` is None (every recorded population), a
name or a sequence of names. Neo is imported only by `load`, so the helpers below need only h5py:

    open_run(path)      h5py.File of a burstsim output, or BurstsimFileError saying why not
    model(f)            the model file stored in it, parsed (dict)
    phase_times(f)      sorted times (ms) of every [[phase]] of the run: the model's and its
                        protocol file's (stored since the root attribute `protocol_file_text`)
    segments(f)         (start, end) ms between 0, the phase times and the end of the data
    n_nodes(f, pop)     neurons in a population
    trains(f, kind, pop)  per neuron, its sorted times (ms): a list of numpy arrays
"""

import os
import tomllib

import h5py
import numpy as np

KINDS = ("spikes", "events", "bursts")
SONATA_MAGIC = 0x0A7A


class BurstsimFileError(Exception):
    """The file cannot be read, or is not a burstsim output file (the message says which)."""


def open_run(path):
    """Opens a burstsim output file for reading; also one that a run is still writing (README:
    h5py needs locking=False for that)."""
    if not os.path.exists(path):
        raise BurstsimFileError(f"{path}: no such file")
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        # a file that a run is still writing is locked by the writer; HDF5 refuses to open one
        # file twice with different locking, so plain opening comes first
        try:
            f = h5py.File(path, "r", locking=False)
        except OSError:
            raise BurstsimFileError(f"{path}: cannot be read as HDF5 ({e})") from None
    magic = f.attrs.get("magic")
    if magic is None or int(np.asarray(magic).ravel()[0]) != SONATA_MAGIC or "model" not in f.attrs:
        f.close()
        raise BurstsimFileError(
            f"{path}: not a burstsim output file (no root attributes `magic` = 0x0A7A and `model`; "
            "a transfer table or a training trace is read by analysis/transfer.py or continuous.py)"
        )
    return f


def text_attr(f, name):
    value = f.attrs[name]
    return value.decode() if isinstance(value, bytes) else str(value)


def model(f):
    """The model file the run was made from, parsed (its text is the root attribute `model`)."""
    return tomllib.loads(text_attr(f, "model"))


def phase_times(f):
    """Sorted times (ms) of the run's [[phase]] entries, the model's and its protocol file's.
    Refuses a file whose model names a protocol file the output does not hold (written by a
    burstsim from before `protocol_file_text` was stored): its segments would be wrong."""
    m = model(f)
    phases = list(m.get("phase", []))
    if m.get("simulation", {}).get("protocol_file"):
        if "protocol_file_text" not in f.attrs:
            raise BurstsimFileError(
                f"{f.filename}: the model reads its phases from protocol_file "
                f"{m['simulation']['protocol_file']!r}, which this file does not hold (rerun it with "
                "a newer burstsim, which stores it as the root attribute protocol_file_text)"
            )
        phases += tomllib.loads(text_attr(f, "protocol_file_text")).get("phase", [])
    return sorted({float(p["at_ms"]) for p in phases})


def t_stop_ms(f):
    return float(f.attrs["t_stop_ms"])


def segments(f):
    """(start, end) in ms of the stretches between phase changes: from 0, at every phase time
    inside the data, to the end of the data."""
    end = t_stop_ms(f)
    bounds = [0.0] + [t for t in phase_times(f) if 0.0 < t < end] + [end]
    return list(zip(bounds[:-1], bounds[1:]))


def populations(f, kind="spikes"):
    return list(f[kind]) if kind in f else []


def n_nodes(f, pop):
    """Neurons in `pop`: the SONATA attribute n_nodes of /spikes/POP, else the model's size of it
    (a run recording events but not spikes), else one past the largest id recorded."""
    if f"spikes/{pop}" in f:
        return int(f[f"spikes/{pop}"].attrs["n_nodes"])
    for p in model(f).get("population", []):
        if p.get("name") == pop:
            return int(p["size"])
    # templates ([[layer]]) generate their population names, so the text may not list them
    top = -1
    for kind in KINDS:
        if f"{kind}/{pop}" in f and len(f[f"{kind}/{pop}/node_ids"]):
            top = max(top, int(f[f"{kind}/{pop}/node_ids"][()].max()))
    return top + 1


def trains(f, kind, pop):
    """Per neuron of `pop`, the sorted times (ms) of its `kind` ("spikes", "events", "bursts")."""
    if kind not in KINDS:
        raise ValueError(f"kind {kind!r}: expected one of {', '.join(KINDS)}")
    n = n_nodes(f, pop)
    if f"{kind}/{pop}" not in f:
        return [np.zeros(0) for _ in range(n)]
    t = f[f"{kind}/{pop}/timestamps"][()]
    ids = f[f"{kind}/{pop}/node_ids"][()].astype(np.int64)
    # ordering by (id, time): each neuron's times come out sorted whatever the file's sorting
    # (bursts are stored in order of detection, not of onset)
    order = np.lexsort((t, ids))
    t, ids = t[order], ids[order]
    cuts = np.searchsorted(ids, np.arange(n + 1))
    return [t[cuts[i]:cuts[i + 1]] for i in range(n)]


def _names(value, allowed, what):
    if value is None:
        return list(allowed)
    names = [value] if isinstance(value, str) else list(value)
    for name in names:
        if name not in allowed:
            raise ValueError(f"{what} {name!r} is not in the file (it has: {', '.join(allowed) or 'none'})")
    return names


def load(path, what="spikes", population=None):
    """The run in `path` as a neo.Block (see the module's docstring)."""
    import neo
    import quantities as pq

    kinds = _names(what, KINDS, "what")
    with open_run(path) as f:
        recorded = []
        for kind in KINDS:
            recorded += [p for p in populations(f, kind) if p not in recorded]
        pops = _names(population, recorded, "population")
        t_stop = t_stop_ms(f)
        title = model(f).get("simulation", {}).get("title")
        attrs = {k: f.attrs[k].item() for k in ("seed", "dt_ms", "duration_ms", "t_stop_ms", "complete") if k in f.attrs}
        attrs["burstsim_version"] = text_attr(f, "burstsim_version")
        block = neo.Block(name=title or os.path.basename(path), file_origin=path, **attrs)
        if title:
            block.annotate(title=title)
        seg = neo.Segment(name="run", file_origin=path)
        block.segments.append(seg)
        for pop in pops:
            group = neo.Group(name=pop, allowed_types=[neo.SpikeTrain])
            for kind in kinds:
                for i, times in enumerate(trains(f, kind, pop)):
                    # a live file's data may reach a little past the t_stop of its last flush
                    stop = max(t_stop, float(times[-1])) if len(times) else t_stop
                    st = neo.SpikeTrain(times, units=pq.ms, t_start=0.0 * pq.ms, t_stop=stop * pq.ms,
                                        name=f"{pop}[{i}]", file_origin=path,
                                        population=pop, node_id=i, kind=kind)
                    seg.spiketrains.append(st)
                    group.add(st)
            block.groups.append(group)
    block.check_relationships()
    return block
