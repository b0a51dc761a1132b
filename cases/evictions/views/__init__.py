"""Eviction-prevention pages: thin views that parse, call a selector or service, and
render. One module per concept: `landlord_signals` (triage queue, a signal, registering,
importing), `threats`, `payment_routes` (a threat's payment route), `contacts` (contacts
and interventions), `deadlines`, `landlords`."""
