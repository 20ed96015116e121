"""Odoo's command line, for the benchmarks' prefork servers (http_servers.py,
odoo_servers.py).

A prefork master starts its bus process as ``<python> <this file> gevent ...``:
the callback benchmarks serve no websocket, so that process only waits to be
stopped (a real one needs gevent's plugins, and one that fails to start is
started again and again, taking the CPU being measured)."""

import signal
import sys

if __name__ == "__main__":
    if sys.argv[1:2] == ["gevent"]:
        signal.pause()
    else:
        from odoo.cli import main

        main()
