"""The eviction-prevention workflow: landlord signals, eviction threats, deadlines,
contacts and interventions. Services and selectors live in small modules here."""
