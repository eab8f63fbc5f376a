"""Agent drivers, one module per chip or device family (see base.py for the contract)."""
