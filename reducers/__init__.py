"""Pure reducers: fold log entries into object state. No clock, randomness or I/O here."""
