"""Every write to handovers: one transaction each, permission checked, the row locked
and its state checked (so of two people deciding at once one wins and the other is
told), history attributed to the actor with a reason. One module per concept:
`sending`, `deciding`, `access` (read access after a handover) and `escalation`."""
