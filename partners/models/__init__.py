from .meeting_places import MeetingPlace, OpeningPeriod, PlaceCost, PlaceStaff
from .partners import Partner
from .referrals import Referral
from .surveys import Survey, SurveyAnswer, SurveyCode, SurveyQuestion, SurveyResponse
from .tallies import DailyTally

__all__ = [
    "DailyTally",
    "MeetingPlace",
    "OpeningPeriod",
    "Partner",
    "PlaceCost",
    "PlaceStaff",
    "Survey",
    "SurveyAnswer",
    "SurveyCode",
    "SurveyQuestion",
    "SurveyResponse",
    "Referral",
]
