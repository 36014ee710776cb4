"""One URL per screen: a full page, or for htmx the named fragment of the same template."""

import secrets
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers
from django.utils.safestring import SafeString

# The context key under which a screen's frame finds its slot's placeholder.
SLOTS = "screen_slots"


def wants_fragment(request: HttpRequest) -> bool:
    """A plain htmx request gets the fragment; boosted and history-restore ones the page."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def _template_for(request: HttpRequest, template: str, fragment: str) -> str:
    """The whole page, or for a plain htmx request its fragment."""
    return f"{template}#{fragment}" if wants_fragment(request) else template


def render_screen(
    request: HttpRequest,
    template: str,
    fragment: str,
    context: dict[str, Any],
    *,
    status: int = 200,
) -> HttpResponse:
    response = render(request, _template_for(request, template, fragment), context, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response


class Screen:
    """A screen rendered in two steps around a platform call.

    :meth:`render_frame` renders everything but the ``{% slot %}`` that shows the
    call's answer: pass it as the call's ``meanwhile`` and the frame is rendered while
    the platform works. :meth:`response` then renders the slot with the context as it is
    by then (the answer, or the error) and puts it in its place. The frame sees the
    context as it was when it was rendered, so nothing outside the slot may depend on
    the answer. Without a rendered frame, :meth:`response` renders the whole screen.

    Large markup built in Python (the chat, the table rows) goes in with :meth:`piece`:
    the templates carry a short marker instead, and the text is copied once, into the
    response, rather than at every level of the template.
    """

    def __init__(
        self,
        request: HttpRequest,
        template: str,
        *,
        fragment: str,
        slot: str,
        context: dict[str, Any],
    ) -> None:
        self.request = request
        self.template = template
        self.fragment = fragment
        self.slot = slot
        self.context = context
        self._frame: tuple[str, str] | None = None
        self._pieces: dict[str, str] = {}

    def piece(self, html: SafeString) -> SafeString:
        """A marker for ``html`` (already safe) to put in the context instead of it."""
        marker = _marker("piece")
        self._pieces[marker] = html
        return SafeString(marker)

    def render_frame(self) -> None:
        placeholder = _marker(self.slot)
        context = {**self.context, SLOTS: {self.slot: SafeString(placeholder)}}
        self._frame = (
            render_to_string(
                _template_for(self.request, self.template, self.fragment),
                context,
                request=self.request,
            ),
            placeholder,
        )

    def response(self, *, status: int = 200) -> HttpResponse:
        if self._frame is None:
            html = render_to_string(
                _template_for(self.request, self.template, self.fragment),
                self.context,
                request=self.request,
            )
        else:
            frame, placeholder = self._frame
            before, found, after = frame.partition(placeholder)
            if not found:
                raise ValueError(f"{self.template} has no {{% slot {self.slot} %}} to fill")
            slot = render_to_string(
                f"{self.template}#{self.slot}", self.context, request=self.request
            )
            html = before + slot + after
        response = HttpResponse(
            b"".join(part.encode() for part in self._parts(html)), status=status
        )
        patch_vary_headers(response, ("HX-Request",))
        return response

    def _parts(self, html: str) -> list[str]:
        """``html`` cut at the pieces' markers, with each piece in its place."""
        parts = []
        for marker, piece in self._pieces.items():
            before, found, html = html.partition(marker)
            if not found:  # not shown (an error took the transcript's place, say)
                html = before
                continue
            parts += (before, piece)
        parts.append(html)
        return parts


def _marker(kind: str) -> str:
    # A fresh random marker: no text from the platform or the request can forge it.
    return f"<!--{kind} {secrets.token_hex(16)}-->"


def export_failed(
    request: HttpRequest,
    *,
    back_url: str,
    error: object = None,
    problem: str = "",
    status: int = 502,
) -> HttpResponse:
    """An export that could not start: a page that says why (export links are plain links,
    so the browser shows it instead of silently cancelling a download)."""
    context = {"error": error, "problem": problem, "back_url": back_url}
    return render(request, "dashboard/export_failed.html", context, status=status)
