"""Eviction prevention: landlords and their signals, eviction threats with their legal
deadlines and reminders, contacts and interventions, imports and the landlord API.
Builds on the core (`cases.core`); never imports handovers."""
