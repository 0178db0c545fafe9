"""Progress display of ``Network.run``: tqdm (``tqdm.auto``: a widget in Jupyter, a bar
in a terminal) when it is installed, else a one-line bar on stderr."""

import os
import sys


def _interactive():
    """A terminal on stderr, or a Jupyter kernel."""
    try:
        if sys.stderr is not None and sys.stderr.isatty():
            return True
    except (AttributeError, ValueError):
        pass
    return "ipykernel" in sys.modules


class _Simple:
    """A plain text bar on stderr, redrawn in place at most every 0.1 s."""

    def __init__(self, dt_ms):
        self.dt_ms = dt_ms
        self.last = -1.0
        self.shown = False

    def __call__(self, done, total, elapsed):
        if total <= 0 or (elapsed - self.last < 0.1 and done < total):
            return
        self.last = elapsed
        frac = done / total
        width = 40
        fill = int(round(width * frac))
        sim_ms = done * self.dt_ms
        rtf = elapsed / (sim_ms * 1e-3) if sim_ms > 0 else float("nan")
        sys.stderr.write(
            "\r[%s%s] %3d%% %.0f/%.0f ms, real-time factor %.2f"
            % ("#" * fill, "." * (width - fill), 100 * frac, sim_ms, total * self.dt_ms, rtf)
        )
        sys.stderr.flush()
        self.shown = True

    def close(self):
        if self.shown:
            sys.stderr.write("\n")
            sys.stderr.flush()


class _Tqdm:
    def __init__(self, tqdm, dt_ms):
        self.tqdm = tqdm
        self.dt_ms = dt_ms
        self.bar = None

    def __call__(self, done, total, elapsed):
        if total <= 0:
            return
        if self.bar is None:
            self.bar = self.tqdm(total=round(total * self.dt_ms, 6), unit="ms", desc="cortexsim")
        self.bar.n = round(done * self.dt_ms, 6)
        self.bar.refresh()

    def close(self):
        if self.bar is not None:
            self.bar.close()


def make(progress, dt_ms):
    """The callable ``(steps done, steps in all, seconds)`` that ``run`` reports to, or
    None. ``progress``: None (shown in a terminal or in Jupyter), True, False, or a
    callable of your own."""
    if progress is False:
        return None
    if callable(progress) and progress is not True:
        return progress
    if progress is None and (not _interactive() or os.environ.get("CORTEXSIM_NO_PROGRESS")):
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _Simple(dt_ms)
    return _Tqdm(tqdm, dt_ms)
