"""Build and flash Perch SD-card images without root or loop mounts."""
