"""Projection of pyNN.cortexsim: PyNN's connectors produce the connections (per target,
``_convergent_connect``); they are buffered and handed to cortexsim in bulk as
connection lists (``rule = "from_list"``) at the first run."""

import numpy as np

from pyNN import common
from pyNN.space import Space
from pyNN.standardmodels import StandardSynapseType

from . import simulator
from .simulator import not_supported


def global_index(p, idx):
    """Indices into a Population, PopulationView or Assembly as indices into all the
    neurons of the script (a Population's ids are consecutive, from 0 in creation
    order: its first id is its offset)."""
    idx = np.asarray(idx, np.int64)
    if hasattr(p, "populations"):  # Assembly
        out = np.empty(idx.size, np.int64)
        bounds = np.cumsum([0] + [q.size for q in p.populations])
        which = np.searchsorted(bounds, idx, side="right") - 1
        for k, q in enumerate(p.populations):
            m = which == k
            out[m] = global_index(q, idx[m] - bounds[k])
        return out
    if hasattr(p, "grandparent"):
        return p.grandparent.first_id + np.asarray(p.index_in_grandparent(idx), np.int64)
    return p.first_id + idx


class Connection(common.Connection):
    """One connection: indices and its weight and delay (native units: pA or nS, ms)."""

    def __init__(self, projection, k):
        self._p = projection
        self._k = k

    @property
    def presynaptic_index(self):
        return int(self._p._pre[self._k])

    @property
    def postsynaptic_index(self):
        return int(self._p._post[self._k])

    # in PyNN's units (nA or uS); stored natively (pA or nS)
    def _get_weight(self):
        return float(self._p._weight[self._k]) / 1000.0

    def _set_weight(self, w):
        self._p._check_not_built()
        self._p._weight[self._k] = w * 1000.0

    def _get_delay(self):
        return float(self._p._delay[self._k])

    def _set_delay(self, d):
        self._p._check_not_built()
        self._p._delay[self._k] = d

    weight = property(_get_weight, _set_weight)
    delay = property(_get_delay, _set_delay)

    def as_tuple(self, *attribute_names):
        return tuple(getattr(self, name) for name in attribute_names)


class Projection(common.Projection):
    __doc__ = common.Projection.__doc__
    _simulator = simulator
    _static_synapse_class = None  # set in __init__.py (StaticSynapse)

    def __init__(self, presynaptic_population, postsynaptic_population, connector,
                 synapse_type=None, source=None, receptor_type=None, space=Space(),
                 label=None):
        if simulator.state.sim is not None:
            raise not_supported("creating projections after the first run")
        common.Projection.__init__(self, presynaptic_population, postsynaptic_population,
                                   connector, synapse_type, source, receptor_type,
                                   space, label)
        if not isinstance(self.synapse_type, StandardSynapseType) or type(
                self.synapse_type).__name__ != "StaticSynapse":
            raise not_supported("the synapse type %s (only StaticSynapse)"
                                % type(self.synapse_type).__name__)
        if self.receptor_type not in ("excitatory", "inhibitory"):
            raise not_supported("receptor_type %r (only 'excitatory' and 'inhibitory')"
                                % self.receptor_type)
        self._chunks = []
        connector.connect(self)
        self._freeze()
        simulator.state.projections.append(self)

    def _check_not_built(self):
        if simulator.state.sim is not None:
            raise not_supported("changing weights or delays after the first run")

    def _convergent_connect(self, presynaptic_indices, postsynaptic_index,
                            location_selector=None, **connection_parameters):
        if location_selector is not None:
            raise not_supported("multicompartment models")
        pre = np.asarray(presynaptic_indices)
        if pre.dtype == bool:
            pre = np.nonzero(pre)[0]
        pre = pre.astype(np.int64).ravel()
        n = pre.size
        if n == 0:
            return
        cols = {}
        for name in ("weight", "delay"):
            v = connection_parameters.get(name)
            if v is None:
                raise not_supported("a connection without %s" % name)
            v = np.asarray(v, float)
            cols[name] = np.broadcast_to(v, (n,)) if v.ndim == 0 or v.size == 1 else v.ravel()
        for other in connection_parameters:
            if other not in ("weight", "delay"):
                raise not_supported("the synapse parameter %r" % other)
        self._chunks.append((pre, np.full(n, int(postsynaptic_index), np.int64),
                             np.array(cols["weight"], float), np.array(cols["delay"], float)))

    def _freeze(self):
        if self._chunks:
            self._pre, self._post, self._weight, self._delay = (
                np.concatenate([c[i] for c in self._chunks]) for i in range(4))
        else:
            self._pre = self._post = np.zeros(0, np.int64)
            self._weight = self._delay = np.zeros(0)
        self._chunks = []
        self.pre_global = global_index(self.pre, self._pre)
        self.post_global = global_index(self.post, self._post)

    def __len__(self):
        return int(self._pre.size)

    @property
    def connections(self):
        return [Connection(self, k) for k in range(len(self))]

    def __getitem__(self, i):
        if isinstance(i, int):
            if i < len(self):
                return Connection(self, i)
            raise IndexError("connection index out of range")
        return [Connection(self, k) for k in range(len(self))[i]]

    def _get_attributes_as_list(self, names):
        return [c.as_tuple(*names) for c in self.connections]

    def _set_attributes(self, parameter_space):
        self._check_not_built()
        parameter_space.evaluate(mask=(slice(None), slice(None)))
        for name, value in parameter_space.items():
            if name not in ("weight", "delay"):
                raise not_supported("the synapse parameter %r" % name)
            arr = value if isinstance(value, np.ndarray) else np.asarray(value)
            col = self._weight if name == "weight" else self._delay
            if arr.ndim == 2:
                col[:] = arr[self._pre, self._post]
            else:
                col[:] = arr

    def set(self, **attributes):
        self._check_not_built()
        common.Projection.set(self, **attributes)

    # -- translation (simulator.State.build) -------------------------------------------
    def _segment_lists(self, table):
        """Per (source segment, target segment) that has connections: (name, name,
        (sources, targets, weights, delays)) with cortexsim's signed weights (inhibitory
        < 0). `table`: every segment as (name, first global index, size, celltype)."""
        starts = np.array([s[1] for s in table], np.int64)
        si = np.searchsorted(starts, self.pre_global, side="right") - 1
        ti = np.searchsorted(starts, self.post_global, side="right") - 1
        sign = -1.0 if self.receptor_type == "inhibitory" else 1.0
        out = []
        pairs = np.unique(np.stack([si, ti], axis=1), axis=0) if len(self) else []
        for a, b in pairs:
            m = (si == a) & (ti == b)
            scale = getattr(table[b][3], "receptor_scale", 1.0)
            out.append((table[a][0], table[b][0],
                        (self.pre_global[m] - starts[a], self.post_global[m] - starts[b],
                         sign * scale * np.abs(self._weight[m]), self._delay[m])))
        return out
