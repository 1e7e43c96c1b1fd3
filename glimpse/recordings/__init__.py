"""Recording of SFU meetings: Janus records the streams, they are mixed into one file, and the
room's owner downloads it."""
