"""The core has no API endpoints: people and cases are read and changed on the case pages
only (the API serves landlords' systems, shelters and the steering group)."""
