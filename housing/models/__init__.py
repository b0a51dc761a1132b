from .apartments import Apartment, Placement, ProgressNote
from .costs import CostCategory, CostItem
from .shelters import Shelter, ShelterNight, ShelterPrice

__all__ = [
    "Apartment",
    "CostCategory",
    "CostItem",
    "Placement",
    "ProgressNote",
    "Shelter",
    "ShelterNight",
    "ShelterPrice",
]
