"""``python -m simulator`` runs the ``occupancy-sim`` command line."""

from simulator.cli import main

main()
