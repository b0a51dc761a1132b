"""Every write to people, households, cases and access grants: one function per use case,
one transaction, permission checked, history attributed to the actor with a reason.
One module per concept: `cases`, `people`, `households`, `access`."""
