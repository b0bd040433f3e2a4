"""What it takes to run occupancy on real servers: broker accounts and configuration helpers.

The files themselves (Mosquitto configuration, compose, systemd units) live in ``deploy/`` at
the repository root; this package holds the logic that generates or checks them.
"""
