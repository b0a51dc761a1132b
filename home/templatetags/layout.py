"""`{% load layout %}`: the base layout's header, written in Python (home/layout.py)."""

from django import template
from django.utils.safestring import SafeString

from home import layout

register = template.Library()


@register.simple_tag(takes_context=True)
def site_header_start(context: template.Context) -> SafeString:
    return layout.header_start(context)


@register.simple_tag(takes_context=True)
def site_header_end(context: template.Context) -> SafeString:
    return layout.header_end(context)
