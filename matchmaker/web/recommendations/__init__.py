"""Where users see the engine: dashboard panels, startup-page sections, search, reasons in words."""
