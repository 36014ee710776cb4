"""Where each value of a run comes from, and what each recipient will get.

A slot is a template parameter ("1", "2" ...) or an attribute a flow reads. Its source
is a user field (name, phone), one of the user's attributes (or a CSV column), or fixed
text; an optional fallback fills it when the source is empty for someone. Nobody may be
sent an empty value without a fallback: the preview lists who would be.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

SOURCES = {
    "name": "Their name",
    "phone": "Their phone number",
    "attribute": "One of their attributes",
    "text": "Fixed text",
}
MAX_VALUE = 1000  # characters in one value


@dataclass(frozen=True)
class Source:
    source: str
    value: str = ""  # the attribute's name, or the fixed text
    fallback: str = ""

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> "Source":
        data = data or {}
        return cls(
            str(data.get("source", "text")),
            str(data.get("value", "")),
            str(data.get("fallback", "")),
        )

    def as_json(self) -> dict[str, str]:
        return {"source": self.source, "value": self.value, "fallback": self.fallback}

    def value_for(self, *, name: str, phone: str, attributes: Mapping[str, Any]) -> str:
        """The value one recipient gets ("" when nothing fills it)."""
        if self.source == "name":
            found = name
        elif self.source == "phone":
            found = phone
        elif self.source == "attribute":
            found = attributes.get(self.value, "")
        else:
            found = self.value
        found = "" if found is None else str(found).strip()
        return (found or self.fallback.strip())[:MAX_VALUE]


def default_sources(slots: Sequence[str], attribute_names: set[str]) -> dict[str, Source]:
    """A first guess: a flow attribute the users have comes from that attribute; a
    template's first value is their name; anything else is fixed text to type."""
    sources = {}
    for index, slot in enumerate(slots):
        if slot in attribute_names:
            sources[slot] = Source("attribute", slot)
        elif index == 0 and slot == "1":
            sources[slot] = Source("name", fallback="there")
        else:
            sources[slot] = Source("text")
    return sources


def values_for(
    slots: Sequence[str],
    sources: Mapping[str, Source],
    *,
    name: str,
    phone: str,
    attributes: Mapping[str, Any],
) -> list[str]:
    """One recipient's values, in slot order."""
    return [
        sources[slot].value_for(name=name, phone=phone, attributes=attributes) for slot in slots
    ]
