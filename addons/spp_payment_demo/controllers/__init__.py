from . import simulated_fsp
