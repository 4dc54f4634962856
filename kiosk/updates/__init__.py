"""System updates: the office offers a new system, the kiosk downloads, installs, proves and keeps it, or goes
back (kiosk/updates/README section in kiosk/README.md).  Nothing here imports Kivy."""
