"""Named groupings of the roles, the one place that says which roles do what.

Roles come from unit memberships (`bokvar.models.Role`); views, permission checks and
the navigation name one of these groupings instead of spelling the roles out again.
"""

from __future__ import annotations

from .models import Role

# Staff who work on clients' cases: they open cases, are assigned to them, are reminded
# of their deadlines, send and receive handovers and record costs.
CASE_STAFF: tuple[str, ...] = (Role.COORDINATOR, Role.GUIDE, Role.CASEWORKER)
# Who opens the case pages: the case staff, and administrators (who see no case through
# a unit, so their list is empty unless a case is granted to them).
CASE_PAGES: tuple[str, ...] = (*CASE_STAFF, Role.ADMINISTRATOR)
# Roles that work on every case granted to their unit (guides see only the cases assigned
# to them); the same roles decide on a handover sent to their unit.
UNIT_CASE_ROLES: tuple[str, ...] = (Role.COORDINATOR, Role.CASEWORKER)
# Coordinators triage the landlord signals of their districts.
TRIAGE: tuple[str, ...] = (Role.COORDINATOR,)
# The landlord register is kept by coordinators and administrators.
LANDLORD_REGISTER: tuple[str, ...] = (Role.COORDINATOR, Role.ADMINISTRATOR)
# The housing chain: apartments, placements and their follow-up.
HOUSING: tuple[str, ...] = (Role.COORDINATOR, Role.GUIDE)
# The access log, the data-subject extract and legal holds.
AUDITORS: tuple[str, ...] = (Role.AUDITOR,)
# Who may open a case's or a person's readable change history.
HISTORY: tuple[str, ...] = (*CASE_PAGES, Role.AUDITOR)
# The steering group's anonymised statistics; coordinators may make a new report version.
STATISTICS: tuple[str, ...] = (Role.STEERING, Role.COORDINATOR)
STATISTICS_REGENERATE: tuple[str, ...] = (Role.COORDINATOR,)
# The register of partner organisations and meeting places is kept by coordinators and
# administrators.
PARTNER_REGISTER: tuple[str, ...] = (Role.COORDINATOR, Role.ADMINISTRATOR)
# Meeting-place staff (skötare): their own places' anonymous tallies, nothing else.
MEETING_PLACE_STAFF: tuple[str, ...] = (Role.MEETING_PLACE_STAFF,)
# Who opens the meeting-place pages (each place further scoped by partners.selectors).
MEETING_PLACES: tuple[str, ...] = (*PARTNER_REGISTER, Role.MEETING_PLACE_STAFF)
# Client surveys (issue 20, point 6): coordinators build their teams' surveys, meeting-
# place staff their places' (each survey further scoped by partners.selectors); the
# steering group reads the results, suppressed, without free text.
SURVEY_OWNERS: tuple[str, ...] = (Role.COORDINATOR, Role.MEETING_PLACE_STAFF)
SURVEYS: tuple[str, ...] = (*SURVEY_OWNERS, Role.STEERING)
# Everyone with a role: notifications.
EVERYONE: tuple[str, ...] = tuple(Role.values)
# Roles that see client data (cases, people, the access log's subjects): the admin gives
# them only with a second administrator's approval (bokvar.models.RoleGrant).
CLIENT_DATA: tuple[str, ...] = (*CASE_STAFF, Role.AUDITOR)
# Roles that never see a person (anonymised statistics, a meeting place's tallies): an
# identity provider's single factor is enough for them (bokvar.sso); every other role
# signs in with two factors.
NO_PERSON: tuple[str, ...] = (Role.STEERING, Role.MEETING_PLACE_STAFF)
