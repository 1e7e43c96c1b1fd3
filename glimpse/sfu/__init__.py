"""Media through a selective forwarding unit: Janus's videoroom plugin, driven by Glimpse only."""
