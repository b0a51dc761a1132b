from .cases import (
    Case,
    CaseAssignment,
    CaseGroupObjectPermission,
    CaseNumberSequence,
    CaseUserObjectPermission,
)
from .contacts import Contact, Intervention
from .deadlines import Deadline
from .handovers import Handover, HandoverReadAccess
from .imports import SignalImport
from .landlord_signals import LandlordSignal
from .landlords import Landlord
from .payment_routes import PaymentRoute
from .people import (
    Household,
    HouseholdChild,
    Person,
    PersonNameToken,
    PersonUserObjectPermission,
    ProtectedIdentity,
    Sex,
)
from .threats import EvictionThreat

__all__ = [
    "Case",
    "Contact",
    "Deadline",
    "EvictionThreat",
    "Handover",
    "HandoverReadAccess",
    "Intervention",
    "LandlordSignal",
    "PaymentRoute",
    "SignalImport",
    "CaseAssignment",
    "CaseGroupObjectPermission",
    "CaseNumberSequence",
    "CaseUserObjectPermission",
    "Household",
    "HouseholdChild",
    "Landlord",
    "Person",
    "PersonNameToken",
    "PersonUserObjectPermission",
    "ProtectedIdentity",
    "Sex",
]
