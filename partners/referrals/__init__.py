"""Referrals from a case to a partner organisation (issue 20, point 2): a small part of
the partners app with the inner shape of a part of `cases/` (services, selectors, forms,
views, page, audit). It sits on top of cases: it reads cases and people through the
cases app's selectors; nothing below imports it (it fills the case page's "partners"
slots and registers with the audit app from `partners/apps.py`)."""
