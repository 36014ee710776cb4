"""The catalogue: the WhatsApp templates and automation flows the dashboard may send.

Entries are created, edited and deactivated on the site, never deleted: runs keep a
link to what they sent.
"""

import re
from collections import Counter

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

#: ``{{1}}``, ``{{2}}`` ... in a template's body: where its parameters go.
PLACEHOLDER = re.compile(r"\{\{\s*(\d+)\s*\}\}")
MAX_PARAMETERS = 20

template_name = RegexValidator(
    r"^[a-z0-9_]{1,100}$",
    "Use the name as approved on the platform: lower-case letters, digits and _.",
)
language_code = RegexValidator(
    r"^[a-z]{2,3}(_[A-Z]{2})?$", "Use a language code such as en, hi or en_US."
)
flow_key = RegexValidator(
    r"^[A-Za-z0-9_-]{1,100}$",
    "Use the flow key as the platform shows it: letters, digits, _ and -.",
)
attribute_name = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")


def _listed(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return " and ".join([", ".join(items[:-1]), items[-1]]) if len(items) > 1 else items[0]


def template_parameters(body: str) -> int:
    """How many parameters ``body`` takes; ValidationError unless they are 1..n."""
    numbers = {int(n) for n in PLACEHOLDER.findall(body)}
    if not numbers:
        return 0
    if max(numbers) > MAX_PARAMETERS:
        raise ValidationError(f"A template takes at most {MAX_PARAMETERS} values.")
    missing = sorted(set(range(1, max(numbers) + 1)) - numbers)
    if missing:
        verb = "is" if len(missing) == 1 else "are"
        listed = _listed([f"{{{{{n}}}}}" for n in missing])
        raise ValidationError(
            f"Number the places for values from {{{{1}}}} without gaps: {listed} {verb} missing."
        )
    return max(numbers)


class WhatsAppTemplate(models.Model):
    name = models.CharField(max_length=100, validators=[template_name])
    language = models.CharField(max_length=10, default="en", validators=[language_code])
    body = models.TextField(
        help_text="The approved text, with {{1}}, {{2}} ... where each person's values go."
    )
    active = models.BooleanField(
        default=True, help_text="Only active templates can be chosen for a broadcast."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        default_permissions = ()
        ordering = ["name", "language"]
        constraints = [
            models.UniqueConstraint(fields=["name", "language"], name="one_template_per_language")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.language})"

    def clean(self) -> None:
        try:
            template_parameters(self.body or "")
        except ValidationError as error:
            raise ValidationError({"body": error.messages}) from None

    @property
    def parameter_count(self) -> int:
        return template_parameters(self.body)

    def render(self, values: list[str]) -> str:
        """The body as a recipient would read it."""
        return PLACEHOLDER.sub(lambda m: values[int(m[1]) - 1], self.body)


class Flow(models.Model):
    key = models.CharField(max_length=100, unique=True, validators=[flow_key])
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    attributes = models.JSONField(
        default=list, blank=True, help_text="The attribute names the flow reads."
    )
    active = models.BooleanField(
        default=True, help_text="Only active flows can be started from the dashboard."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        default_permissions = ()
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key})"

    def clean(self) -> None:
        names = self.attributes if isinstance(self.attributes, list) else None
        if names is None or not all(isinstance(n, str) for n in names):
            raise ValidationError({"attributes": "List the attribute names, one a line."})
        bad = [n for n in names if not attribute_name.match(n)]
        if bad:
            raise ValidationError(
                {
                    "attributes": f"Not an attribute name: {', '.join(bad[:5])}. Use letters, "
                    "digits, _ . and -, starting with a letter."
                }
            )
        own = [n for n in names if n.startswith("user.")]
        if own:
            raise ValidationError(
                {
                    "attributes": f"Leave out {', '.join(own[:5])}: the dashboard sends the "
                    "user's own details (user. attributes) itself."
                }
            )
        twice = sorted(n for n, times in Counter(names).items() if times > 1)
        if twice:
            verb = "is" if len(twice) == 1 else "are"
            raise ValidationError(
                {"attributes": f"List each attribute once: {_listed(twice[:5])} {verb} repeated."}
            )
