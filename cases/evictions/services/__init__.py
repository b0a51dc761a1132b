"""Every write of the eviction-prevention work: one module per concept
(`landlord_signals`, `triage`, `threats`, `deadlines`, `contacts`, `landlords`,
`imports`, `tokens`)."""
