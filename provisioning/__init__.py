"""SD-card provisioning of the kiosk: see provisioning/README.md and provision.py."""
